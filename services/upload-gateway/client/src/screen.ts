// The Screen tab: share a screen, a window or a tab, preview it, record it (with the microphone
// when the customer ticks it), play back, record again or another. A screen recording is a video to
// the gateway: the same category, size limit and verification.
import { type PanelController, required, show } from './dom.ts';
import type { Page } from './page.ts';
import { stopTracks } from './recorder.ts';
import { Takes } from './take.ts';

/**
 * Whether this browser can share a screen: desktop Chrome, Edge, Firefox and Safari can; no
 * browser on Android or iOS implements getDisplayMedia. A touch-only device (no fine pointer
 * anywhere) is taken for a phone or tablet whatever the browser claims, so a phone never shows
 * a tab whose first step must fail there.
 */
export function screenCaptureAvailable(): boolean {
  const capture = typeof navigator.mediaDevices?.getDisplayMedia === 'function';
  const touchOnly = navigator.maxTouchPoints > 0 && !window.matchMedia('(any-pointer: fine)').matches;
  return capture && typeof MediaRecorder === 'function' && !touchOnly;
}

/**
 * Shows the Screen tab where the browser can share a screen; elsewhere removes it and its panel
 * (rendered hidden), so the tabs and their keyboard order are those of the other tabs.
 */
export function offerScreenTab(): void {
  const tab = document.getElementById('tab-screen');
  if (!tab) return;
  if (screenCaptureAvailable()) {
    tab.hidden = false;
    return;
  }
  document.getElementById(tab.getAttribute('aria-controls') ?? '')?.remove();
  tab.remove();
}

export function setupScreen(panel: HTMLElement, page: Page): PanelController {
  const t = page.t;
  const takes = new Takes(panel, page, 'video', 'screen');
  const { record, stop, rerecord, another, playback } = takes;
  const share = required<HTMLButtonElement>(panel, '[data-action="share"]');
  const microphone = required<HTMLInputElement>(panel, '[data-action="microphone"]');
  const preview = required<HTMLVideoElement>(panel, 'video.preview');

  let screen: MediaStream | undefined;
  let voice: MediaStream | undefined;

  const release = () => {
    stopTracks(screen);
    stopTracks(voice);
    screen = undefined;
    voice = undefined;
    preview.srcObject = null;
    takes.stopClock();
  };

  /** Back to the start: the share button, nothing shared. */
  const reset = () => {
    release();
    microphone.disabled = false;
    show([preview, share], [record, stop]);
  };

  const startSharing = async () => {
    page.clearError();
    let shared: MediaStream;
    try {
      shared = await navigator.mediaDevices.getDisplayMedia({
        video: { frameRate: { ideal: 15 } },
        audio: false,
      });
    } catch {
      // Refused, or the customer closed the browser's picker.
      page.showError(t.screenUnavailable);
      return;
    }
    release();
    screen = shared;
    // The browser's own "Stop sharing" ends the take, or leaves nothing to record.
    shared.getVideoTracks()[0]?.addEventListener('ended', () => {
      if (screen !== shared) return;
      if (takes.running) void finish();
      else {
        reset();
        page.announce(t.screenEnded);
      }
    });
    preview.srcObject = shared;
    await preview.play().catch(() => {});
    takes.discard();
    show([preview, record], [share, playback, rerecord, another, stop]);
    record.focus();
    page.announce(t.screenOn);
  };

  const start = async () => {
    if (!screen) return;
    page.clearError();
    if (microphone.checked) {
      try {
        voice = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true } });
      } catch {
        page.showError(t.micUnavailable);
        return;
      }
    }
    const tracks = [...screen.getVideoTracks(), ...(voice?.getAudioTracks() ?? [])];
    if (!takes.start(new MediaStream(tracks), () => void finish())) {
      stopTracks(voice);
      voice = undefined;
      return;
    }
    microphone.disabled = true;
  };

  const finish = async () => {
    if (!(await takes.finish())) return;
    release();
    microphone.disabled = false;
    // The take plays back where the preview was.
    show([], [preview]);
  };

  share.addEventListener('click', () => void startSharing());
  rerecord.addEventListener('click', () => void startSharing());
  another.addEventListener('click', () => void startSharing());
  record.addEventListener('click', () => void start());
  stop.addEventListener('click', () => void finish());

  return {
    deactivate: () => {
      if (takes.running) void finish();
      else if (screen) {
        // Leaving the tab stops sharing; coming back shows the button again.
        release();
        if (!takes.result) show([preview, share], [record]);
      }
    },
    release,
  };
}

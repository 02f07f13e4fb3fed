// The Audio tab: record with a live waveform, stop, listen back, record again, send.

import { fill } from '../../src/page/format.ts';
import { type PanelController, required, show } from './dom.ts';
import { type Meter, startMeter } from './meter.ts';
import type { Page } from './page.ts';
import {
  canRecord,
  formatDuration,
  type Recording,
  recordingName,
  startRecording,
  stopTracks,
} from './recorder.ts';

export function setupAudio(panel: HTMLElement, page: Page): PanelController {
  const t = page.t;
  const record = required<HTMLButtonElement>(panel, '[data-action="record"]');
  const stop = required<HTMLButtonElement>(panel, '[data-action="stop"]');
  const rerecord = required<HTMLButtonElement>(panel, '[data-action="rerecord"]');
  const send = required<HTMLButtonElement>(panel, '[data-action="send"]');
  const canvas = required<HTMLCanvasElement>(panel, 'canvas');
  const time = required<HTMLElement>(panel, '.time');
  const playback = required<HTMLAudioElement>(panel, 'audio');
  const limit = page.config.limits.audio ?? 0;

  let stream: MediaStream | undefined;
  let meter: Meter | undefined;
  let recording: Recording | undefined;
  let timer = 0;
  let result: Blob | undefined;

  const release = () => {
    meter?.stop();
    meter = undefined;
    stopTracks(stream);
    stream = undefined;
    clearInterval(timer);
  };

  const start = async () => {
    page.clearError();
    if (!canRecord()) {
      page.showError(t.notSupported);
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch {
      page.showError(t.micUnavailable);
      return;
    }
    if (playback.src) URL.revokeObjectURL(playback.src);
    playback.removeAttribute('src');
    result = undefined;
    meter = startMeter(stream, canvas);
    recording = startRecording(stream, 'audio', limit, () => {
      page.announce(t.limitReached);
      void finish();
    });
    const startedAt = recording.startedAt;
    time.textContent = '0:00';
    timer = window.setInterval(() => {
      time.textContent = formatDuration(Date.now() - startedAt);
    }, 250);
    panel.classList.add('recording');
    show([stop], [record, rerecord, send, playback]);
    stop.focus();
    page.announce(t.recording);
  };

  const finish = async () => {
    if (!recording) return;
    const current = recording;
    recording = undefined;
    const blob = await current.stop();
    const duration = formatDuration(Date.now() - current.startedAt);
    release();
    panel.classList.remove('recording');
    result = blob;
    playback.src = URL.createObjectURL(blob);
    show([playback, rerecord, send], [stop, record]);
    send.focus();
    page.announce(fill(t.recordingStopped, { duration }));
  };

  record.addEventListener('click', () => void start());
  rerecord.addEventListener('click', () => void start());
  stop.addEventListener('click', () => void finish());
  send.addEventListener('click', () => {
    if (!result) return;
    const contentType = result.type;
    void page.send(
      result,
      { fileName: recordingName(t.recordingNames.audio, contentType, 'audio'), contentType, kind: 'audio' },
      send,
    );
  });

  return {
    deactivate: () => void finish(),
    release,
  };
}

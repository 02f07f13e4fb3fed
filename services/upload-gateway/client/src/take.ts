// What the Audio and Video tabs do alike: a take (record up to the size limit while the elapsed
// time ticks, stop, listen back), and sending the last take as a named recording. Each tab keeps
// its own devices and what it shows around the take.
import { fill } from '@uplink/web/text';
import { required, show } from './dom.ts';
import type { Page } from './page.ts';
import {
  formatDuration,
  type Recording,
  type RecordingKind,
  recordingName,
  startRecording,
} from './recorder.ts';

export class Takes {
  readonly record: HTMLButtonElement;
  readonly stop: HTMLButtonElement;
  readonly rerecord: HTMLButtonElement;
  readonly send: HTMLButtonElement;
  readonly playback: HTMLMediaElement;
  private readonly time: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly page: Page;
  private readonly kind: RecordingKind;
  /** The recording's name before its date and extension (`voice-message`, `screen-recording`). */
  private readonly fileBase: string;
  private recording: Recording | undefined;
  private timer = 0;
  private last: Blob | undefined;

  constructor(panel: HTMLElement, page: Page, kind: RecordingKind, fileBase = page.t.recordingNames[kind]) {
    this.panel = panel;
    this.page = page;
    this.kind = kind;
    this.fileBase = fileBase;
    this.record = required<HTMLButtonElement>(panel, '[data-action="record"]');
    this.stop = required<HTMLButtonElement>(panel, '[data-action="stop"]');
    this.rerecord = required<HTMLButtonElement>(panel, '[data-action="rerecord"]');
    this.send = required<HTMLButtonElement>(panel, '[data-action="send"]');
    this.playback = required<HTMLMediaElement>(panel, '.playback');
    this.time = required<HTMLElement>(panel, '.time');
    this.send.addEventListener('click', () => this.sendLast());
  }

  /** A take is being recorded. */
  get running(): boolean {
    return this.recording !== undefined;
  }

  /** The last finished take, until the next one begins. */
  get result(): Blob | undefined {
    return this.last;
  }

  /** Drops the last take and its playback, before a new one. */
  discard(): void {
    if (this.playback.src) URL.revokeObjectURL(this.playback.src);
    this.playback.removeAttribute('src');
    this.last = undefined;
  }

  /**
   * Records `stream` until `finish()`; `onLimit` runs (after telling the customer) when the
   * recording nears the policy's size limit, and should finish the take. False when this
   * browser cannot record the stream at all (the customer has been told).
   */
  start(stream: MediaStream, onLimit: () => void): boolean {
    const { page, panel } = this;
    const limit = page.config.limits[this.kind] ?? 0;
    try {
      this.recording = startRecording(stream, this.kind, limit, () => {
        page.announce(page.t.limitReached);
        onLimit();
      });
    } catch {
      page.showError(page.t.recordingFailed);
      return false;
    }
    const startedAt = this.recording.startedAt;
    this.time.textContent = '0:00';
    this.timer = window.setInterval(() => {
      this.time.textContent = formatDuration(Date.now() - startedAt);
    }, 250);
    panel.classList.add('recording');
    show([this.stop], [this.record, this.rerecord, this.send, this.playback]);
    this.stop.focus();
    page.announce(page.t.recording);
    return true;
  }

  /**
   * Ends the take being recorded and offers it to play back, send or record again; a take with
   * nothing in it (the browser's recorder failed) is never offered: the customer is told, and
   * pointed to the File tab. Resolves true once the take has ended; false when no take was
   * running (a second call, say).
   */
  async finish(): Promise<boolean> {
    const current = this.recording;
    if (!current) return false;
    this.recording = undefined;
    const blob = await current.stop();
    const duration = formatDuration(Date.now() - current.startedAt);
    this.stopClock();
    this.panel.classList.remove('recording');
    if (blob.size === 0) {
      show([this.rerecord], [this.stop, this.record, this.playback, this.send]);
      this.page.showError(this.page.t.recordingFailed);
      this.rerecord.focus();
      return true;
    }
    this.last = blob;
    this.playback.src = URL.createObjectURL(blob);
    show([this.playback, this.rerecord, this.send], [this.stop, this.record]);
    this.send.focus();
    this.page.announce(fill(this.page.t.recordingStopped, { duration }));
    return true;
  }

  /** Stops the elapsed time (the devices are being released). */
  stopClock(): void {
    clearInterval(this.timer);
  }

  private sendLast(): void {
    const blob = this.last;
    if (!blob) return;
    const { kind, page } = this;
    const contentType = blob.type;
    const fileName = recordingName(this.fileBase, contentType, kind);
    void page.send(blob, { fileName, contentType, kind }, this.send);
  }
}

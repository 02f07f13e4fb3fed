// What the Audio, Video and Screen tabs do alike: a take (record up to the size limit while the
// elapsed time ticks, stop, listen back) that joins the outbox as a named recording once it ends,
// recorded again in its place or kept while another is recorded. Each tab keeps its own devices
// and what it shows around the take.
import { fill } from '@uplink/web/text';
import { required, show } from './dom.ts';
import type { ItemSource, OutboxItem } from './outbox.ts';
import type { Page } from './page.ts';
import {
  formatDuration,
  type Recording,
  type RecordingKind,
  recordingName,
  startRecording,
} from './recorder.ts';

type TakeSource = Exclude<ItemSource, 'file'>;

export class Takes {
  readonly record: HTMLButtonElement;
  readonly stop: HTMLButtonElement;
  /** Records again in place of the last take. */
  readonly rerecord: HTMLButtonElement;
  /** Keeps the last take in the outbox and records another. */
  readonly another: HTMLButtonElement;
  readonly playback: HTMLMediaElement;
  private readonly time: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly page: Page;
  private readonly kind: RecordingKind;
  /** The tab: it names the recording and, while the take is alone, the Send button. */
  private readonly source: TakeSource;
  private recording: Recording | undefined;
  private timer = 0;
  private last: Blob | undefined;
  /** The last take's place in the outbox, while it is there. */
  private item: OutboxItem | undefined;

  constructor(panel: HTMLElement, page: Page, kind: RecordingKind, source: TakeSource = kind) {
    this.panel = panel;
    this.page = page;
    this.kind = kind;
    this.source = source;
    this.record = required<HTMLButtonElement>(panel, '[data-action="record"]');
    this.stop = required<HTMLButtonElement>(panel, '[data-action="stop"]');
    this.rerecord = required<HTMLButtonElement>(panel, '[data-action="rerecord"]');
    this.another = required<HTMLButtonElement>(panel, '[data-action="another"]');
    this.playback = required<HTMLMediaElement>(panel, '.playback');
    this.time = required<HTMLElement>(panel, '.time');
    // Registered before the tab's own listeners, which start the next take.
    this.rerecord.addEventListener('click', () => {
      if (this.item) page.outbox.remove(this.item);
      this.item = undefined;
    });
    this.another.addEventListener('click', () => {
      this.item = undefined;
    });
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
    // Within its category's limit and what the submission can still take.
    const limit = Math.min(page.config.limits[this.kind] ?? 0, page.outbox.room);
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
    show([this.stop], [this.record, this.rerecord, this.another, this.playback]);
    this.stop.focus();
    page.announce(page.t.recording);
    return true;
  }

  /**
   * Ends the take being recorded, adds it to the outbox and offers it to play back, record again
   * or record another; a take with nothing in it (the browser's recorder failed) is never
   * offered: the customer is told, and pointed to the File tab. Resolves true once the take has
   * ended; false when no take was running (a second call, say).
   */
  async finish(): Promise<boolean> {
    const current = this.recording;
    if (!current) return false;
    this.recording = undefined;
    const blob = await current.stop();
    const duration = formatDuration(Date.now() - current.startedAt);
    this.stopClock();
    this.panel.classList.remove('recording');
    const { page } = this;
    if (blob.size === 0) {
      show([this.rerecord], [this.stop, this.record, this.playback, this.another]);
      page.showError(page.t.recordingFailed);
      this.rerecord.focus();
      return true;
    }
    this.last = blob;
    this.playback.src = URL.createObjectURL(blob);
    const contentType = blob.type;
    // The recording's name before its date and extension: `voice-message`, `screen-recording`.
    const fileName = recordingName(page.t.recordingNames[this.source], contentType, this.kind);
    const refusal = page.outbox.refusal(blob, fileName);
    if (refusal) {
      show([this.playback, this.rerecord], [this.stop, this.record, this.another]);
      page.showError(refusal);
      this.rerecord.focus();
      return true;
    }
    this.item = page.outbox.add(blob, { fileName, contentType, kind: this.kind }, this.source, () =>
      this.removed(),
    );
    // Another take only where the submission may hold more than one file.
    const more = page.config.maxFiles > 1 ? [this.another] : [];
    show([this.playback, this.rerecord, ...more], [this.stop, this.record]);
    page.outbox.sendButton.focus();
    page.announce(fill(page.t.recordingStopped, { duration }));
    return true;
  }

  /** The customer removed the last take from the outbox: it is gone from here too. */
  private removed(): void {
    this.item = undefined;
    this.discard();
    show([this.rerecord], [this.playback, this.another]);
  }

  /** Stops the elapsed time (the devices are being released). */
  stopClock(): void {
    clearInterval(this.timer);
  }
}

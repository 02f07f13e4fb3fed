// The parts of the page every tab shares: announcements, errors, the progress bar, the
// "Sent!" screen, and the one upload that may run at a time.

import { formatBytes } from '@uplink/contracts/media-types';
import { fill } from '@uplink/web/text';
import type { ClientConfig } from '../../src/page/client-config.ts';
import { type SavedUpload, SavedUploads } from './saved-uploads.ts';
import { isRetryable, Upload, UploadFailure, type UploadMeta, type UploadState } from './upload.ts';

export type Texts = ClientConfig['messages'];

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

/** Errors after which this link cannot take a file any more: the form closes. */
const LINK_CLOSED = new Set(['link_gone', 'link_not_pending', 'receiving_disabled']);

export class Page {
  readonly config: ClientConfig;
  readonly t: Texts;
  private readonly status = element<HTMLParagraphElement>('status');
  private readonly error = element<HTMLDivElement>('error');
  private readonly uploader = element<HTMLDivElement>('uploader');
  private readonly transfer = element<HTMLDivElement>('transfer');
  private readonly progress = element<HTMLProgressElement>('progress');
  private readonly progressText = element<HTMLParagraphElement>('progress-text');
  private readonly sent = element<HTMLElement>('sent');
  private readonly apiBase = window.location.pathname.replace(/\/+$/, '');
  /** Uploads under way, kept so that a reopened page continues them. */
  private readonly saved = new SavedUploads(this.apiBase);
  private current: Upload | undefined;
  private busy = false;
  private announcedQuarter = 0;
  /** Called when the customer leaves the page's form for good (sent, or the link closed). */
  onClose: () => void = () => {};

  constructor(config: ClientConfig) {
    this.config = config;
    this.t = config.messages;
  }

  bytes(count: number): string {
    return formatBytes(count, this.config.locale);
  }

  /** Says `text` to screen readers through the polite status region (repeats are re-announced). */
  announce(text: string): void {
    this.status.textContent = '';
    window.setTimeout(() => {
      this.status.textContent = text;
    }, 50);
  }

  showError(text: string): void {
    this.error.textContent = text;
  }

  clearError(): void {
    this.error.textContent = '';
  }

  get uploading(): boolean {
    return this.busy;
  }

  /** On load: the newest upload this link's page was sending when it was closed goes on. */
  async continueSaved(): Promise<void> {
    const newest = (await this.saved.list()).at(-1);
    if (!newest || this.busy) return;
    await this.send(newest.blob, newest.meta, this.error, newest);
  }

  /**
   * Uploads `blob`; resolves true once the gateway has verified it ("Sent!" is then shown).
   * `saved`: the upload a closed page kept, continued from what storage holds.
   */
  async send(blob: Blob, meta: UploadMeta, returnFocus: HTMLElement, saved?: SavedUpload): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.clearError();
    // The same recording or file again continues the upload that failed; anything else starts anew.
    const resuming = this.current?.blob === blob && this.current.meta.kind === meta.kind;
    const upload =
      resuming && this.current ? this.current : new Upload(blob, meta, this.apiBase, saved?.intent);
    this.current = upload;
    if (!resuming) {
      this.progress.value = 0;
      this.progressText.textContent = '';
      this.announcedQuarter = 0;
    }
    this.progress.max = Math.max(1, blob.size);
    this.setLocked(true);
    this.transfer.hidden = false;
    this.progress.focus();
    if (saved) this.progressText.textContent = fill(this.t.resuming, { name: meta.fileName });
    let kept = upload.uploadId;
    let failure: unknown;
    try {
      await upload.run({
        progress: (sent, total) => this.showProgress(sent, total),
        state: (state) => this.showState(state),
        intent: (intent) => {
          if (kept !== undefined) void this.saved.forget(kept);
          kept = intent.uploadId;
          void this.saved.save({ blob, meta, intent, savedAt: Date.now() });
        },
      });
    } catch (error) {
      failure = error;
    } finally {
      this.busy = false;
      this.setLocked(false);
    }
    // Kept while trying again may still succeed (the network, the gateway busy); not once received or refused.
    if (kept !== undefined && (failure === undefined || !isRetryable(failure))) void this.saved.forget(kept);
    if (failure === undefined) {
      this.showSent();
      return true;
    }
    this.showFailure(failure);
    if (this.uploader.classList.contains('closed')) this.error.focus();
    else returnFocus.focus();
    return false;
  }

  /** While bytes are on their way, the tabs and panels take no input. */
  private setLocked(locked: boolean): void {
    this.uploader.classList.toggle('busy', locked);
    for (const part of this.uploader.querySelectorAll<HTMLElement>('[role="tablist"], .panel'))
      part.inert = locked;
  }

  private showProgress(sent: number, total: number): void {
    // Only ever forward: the upload reports monotonic values, and this keeps it so.
    if (sent < this.progress.value) return;
    this.progress.value = sent;
    const percent = total > 0 ? Math.floor((sent / total) * 100) : 100;
    this.progressText.textContent = fill(this.t.progress, {
      sent: this.bytes(sent),
      total: this.bytes(total),
      percent,
    });
    const quarter = Math.floor(percent / 25);
    if (quarter > this.announcedQuarter && quarter < 4) {
      this.announcedQuarter = quarter;
      this.announce(fill(this.t.uploadingPercent, { percent: quarter * 25 }));
    }
  }

  private showState(state: UploadState): void {
    const text: Partial<Record<UploadState, string>> = {
      preparing: this.t.preparing,
      retrying: this.t.retrying,
      offline: this.t.offline,
      verifying: this.t.verifying,
    };
    this.transfer.dataset.state = state;
    const message = text[state];
    if (message) {
      if (state !== 'preparing') this.progressText.textContent = message;
      this.announce(message);
    } else {
      // Back to uploading after a retry: the byte count again.
      this.showProgress(this.progress.value, this.progress.max);
    }
  }

  private showFailure(error: unknown): void {
    const errors = this.t.errors;
    let text = errors.unknown;
    if (error instanceof UploadFailure) {
      switch (error.code) {
        case 'receiving_disabled':
          text = error.message || errors.unknown;
          break;
        case 'upload_rejected':
          text = fill(errors.upload_rejected, { reason: error.message });
          break;
        case 'rate_limited':
          text = fill(errors.rate_limited, { seconds: Math.ceil(error.retryAfterSeconds ?? 60) });
          break;
        case 'link_gone':
        case 'link_not_pending':
        case 'payload_too_large':
        case 'unsupported_media_type':
        case 'storage':
        case 'network':
          text = errors[error.code];
          break;
      }
      if (LINK_CLOSED.has(error.code)) this.close();
    }
    this.transfer.hidden = this.progress.value === 0;
    this.showError(text);
  }

  private close(): void {
    this.uploader.classList.add('closed');
    for (const part of this.uploader.querySelectorAll<HTMLElement>('[role="tablist"], .panel, .transfer')) {
      part.hidden = true;
    }
    this.onClose();
  }

  private showSent(): void {
    this.onClose();
    this.uploader.hidden = true;
    for (const validity of document.querySelectorAll<HTMLElement>('.validity')) validity.hidden = true;
    this.sent.hidden = false;
    this.sent.focus();
  }
}

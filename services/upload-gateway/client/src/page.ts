// The parts of the page every tab shares: announcements, errors, the outbox of what is to be
// sent, the progress bar, the "Sent!" screen, and the one submission that may run at a time.

import type { SubmissionBody } from '@uplink/contracts';
import { formatBytes } from '@uplink/contracts/media-types';
import { fill } from '@uplink/web/text';
import type { ClientConfig } from '../../src/page/client-config.ts';
import { type ItemSource, Outbox, type OutboxItem } from './outbox.ts';
import { SavedUploads } from './saved-uploads.ts';
import {
  callApi,
  isRetryable,
  UploadFailure,
  type UploadObserver,
  type UploadState,
  withRetry,
} from './upload.ts';

export type Texts = ClientConfig['messages'];

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

/** Errors after which this link cannot take a file any more: the form closes. */
const LINK_CLOSED = new Set(['link_gone', 'link_not_pending', 'receiving_disabled']);

/** Refusals of an upload intent that are about the file itself: it is marked, the rest kept. */
const ITEM_REFUSED = new Set(['payload_too_large', 'unsupported_media_type', 'upload_rejected']);

/** Files stored at the same time (each in blocks of its own, themselves in parallel). */
const PARALLEL_FILES = 2;

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
  readonly apiBase = window.location.pathname.replace(/\/+$/, '');
  readonly outbox: Outbox;
  /** Uploads under way, kept so that a reopened page continues them. */
  private readonly saved = new SavedUploads(this.apiBase);
  private busy = false;
  private announcedQuarter = 0;
  /** Called when the customer leaves the page's form for good (sent, or the link closed). */
  onClose: () => void = () => {};

  constructor(config: ClientConfig) {
    this.config = config;
    this.t = config.messages;
    this.outbox = new Outbox(this, (item) => this.forgetSaved(item));
    this.outbox.sendButton.addEventListener('click', () => void this.send());
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

  /**
   * On load: the files this link's page was sending when it was closed go back into the outbox
   * and are sent on, each from what storage already holds.
   */
  async continueSaved(): Promise<void> {
    const saved = await this.saved.list();
    if (saved.length === 0 || this.busy || this.outbox.items.length > 0) return;
    for (const { blob, meta, intent } of saved) {
      const source: ItemSource = meta.kind;
      this.outbox.add(blob, meta, source, undefined, intent);
    }
    const message = saved.find((upload) => upload.message !== undefined)?.message;
    if (message !== undefined) this.outbox.setMessage(message);
    const names = saved.map(({ meta }) => meta.fileName).join(', ');
    await this.send(fill(this.t.resuming, { name: names }));
  }

  /**
   * Sends what the outbox holds: one file without a message is verified alone (the one-click
   * path); several, or any with a message, are stored a few at a time and then submitted
   * together. Ends on "Sent!", or with the failure shown and everything kept for another try.
   */
  async send(resuming?: string): Promise<void> {
    const items = [...this.outbox.items];
    if (this.busy || items.length === 0) return;
    this.busy = true;
    this.clearError();
    const message = this.outbox.message();
    const total = items.reduce((sum, item) => sum + item.blob.size, 0);
    this.progress.max = Math.max(1, total);
    this.progress.value = items.reduce((sum, item) => sum + item.sent, 0);
    this.progressText.textContent = resuming ?? '';
    this.announcedQuarter = 0;
    for (const item of items) if (item.uploadId === undefined) item.setState('waiting');
    this.setLocked(true);
    this.transfer.hidden = false;
    this.progress.focus();
    let failure: unknown;
    try {
      const [only] = items;
      if (only && items.length === 1 && message === undefined) {
        await only.upload.run(this.observe(only, items));
      } else {
        await this.storeAll(items);
        await this.submit(items, message);
      }
    } catch (error) {
      failure = error;
    } finally {
      this.busy = false;
      this.setLocked(false);
    }
    if (failure === undefined) {
      for (const item of items) this.forgetSaved(item);
      this.showSent();
      return;
    }
    const rejected = this.markRejected(failure, items);
    // Kept while trying again may still succeed; not those of a link that can no longer be used
    // (a refused file's upload was dropped as it was marked).
    const closed = failure instanceof UploadFailure && LINK_CLOSED.has(failure.code);
    if (closed || (!rejected && items.length === 1 && !isRetryable(failure))) {
      for (const item of items) this.forgetSaved(item);
    }
    this.showFailure(failure, items.length > 1 || message !== undefined);
    if (this.uploader.classList.contains('closed')) this.error.focus();
    else (rejected?.removeButton ?? this.outbox.sendButton).focus();
  }

  /** Drops what was kept of the item's upload for a reopened page. */
  private forgetSaved(item: OutboxItem): void {
    if (item.savedUploadId !== undefined) void this.saved.forget(item.savedUploadId);
    item.savedUploadId = undefined;
  }

  /** An item's upload reports into its own state and the overall bar, and is kept while it runs. */
  private observe(item: OutboxItem, items: readonly OutboxItem[]): UploadObserver {
    return {
      intent: (intent) => {
        this.forgetSaved(item);
        item.savedUploadId = intent.uploadId;
        const message = this.outbox.message();
        void this.saved.save({
          blob: item.blob,
          meta: item.upload.meta,
          intent,
          savedAt: Date.now(),
          ...(message !== undefined ? { message } : {}),
        });
      },
      progress: (sent, size) => {
        item.sent = sent;
        item.setState('uploading', size > 0 ? Math.floor((sent / size) * 100) : 100);
        const overall = items.reduce((sum, each) => sum + each.sent, 0);
        this.showProgress(overall, this.progress.max);
      },
      state: (state) => this.showState(state),
    };
  }

  /** Stores every item not stored yet, a few at a time; the first failure stops the rest. */
  private async storeAll(items: readonly OutboxItem[]): Promise<void> {
    const queue = items.filter((item) => item.uploadId === undefined);
    let failure: unknown;
    const worker = async () => {
      for (let item = queue.shift(); item && failure === undefined; item = queue.shift()) {
        try {
          item.uploadId = await item.upload.store(this.observe(item, items));
          item.setState('stored');
        } catch (error) {
          failure ??= error;
          // Refused for what it is (too large, wrong type): the customer sees which.
          if (error instanceof UploadFailure && ITEM_REFUSED.has(error.code)) this.reject(item);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_FILES, queue.length) }, worker));
    if (failure !== undefined) throw failure;
  }

  /** One submission of every stored item and the message; retried like any other call. */
  private async submit(items: readonly OutboxItem[], message: string | undefined): Promise<void> {
    const body: SubmissionBody = {
      uploadIds: items.map((item) => item.uploadId ?? ''),
      ...(message !== undefined ? { message } : {}),
    };
    this.showState('verifying');
    await withRetry({ state: (state) => this.showState(state) }, 'verifying', () =>
      callApi(`${this.apiBase}/submission`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  }

  /** The item a refusal names (a submission's 422, or the only file's), marked for the customer. */
  private markRejected(failure: unknown, items: readonly OutboxItem[]): OutboxItem | undefined {
    if (!(failure instanceof UploadFailure)) return undefined;
    const named = items.find((item) => item.element.dataset.state === 'rejected');
    if (named) return named;
    if (failure.code !== 'upload_rejected') return undefined;
    const item =
      failure.uploadId !== undefined
        ? items.find((candidate) => candidate.uploadId === failure.uploadId)
        : items.length === 1
          ? items[0]
          : undefined;
    if (item) this.reject(item);
    return item;
  }

  /** Marks `item` refused; its upload is gone, and no longer kept for a reopened page. */
  private reject(item: OutboxItem): void {
    this.forgetSaved(item);
    item.reject();
  }

  /** While bytes are on their way, the tabs, panels and outbox take no input. */
  private setLocked(locked: boolean): void {
    this.uploader.classList.toggle('busy', locked);
    for (const part of this.uploader.querySelectorAll<HTMLElement>('[role="tablist"], .panel'))
      part.inert = locked;
    this.outbox.lock(locked);
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
      verifying: this.outbox.items.length > 1 ? this.t.verifyingSeveral : this.t.verifying,
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

  /** `several`: the failure is a submission's (several files, or a message), not one file's. */
  private showFailure(error: unknown, several: boolean): void {
    const errors = this.t.errors;
    let text = errors.unknown;
    if (error instanceof UploadFailure) {
      switch (error.code) {
        case 'receiving_disabled':
          text = error.message || errors.unknown;
          break;
        case 'upload_rejected':
          text = fill(several ? errors.submission_rejected : errors.upload_rejected, {
            reason: error.message,
          });
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
    this.outbox.close();
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

// What the customer is about to send, below the tabs and shared by all of them: the files and
// recordings added so far (each removable until it is sent), the message for the agent with its
// counter, and the one Send button, labelled after what it sends. The tabs add to it; page.ts
// sends it as one submission.
import type { UploadIntent, UploadKind } from '@uplink/contracts';
import { fill } from '@uplink/web/text';
import type { ClientConfig } from '../../src/page/client-config.ts';
import { Upload, type UploadMeta } from './upload.ts';

type Texts = ClientConfig['messages'];

/** The tab an item came from: it names the Send button while the item is alone. */
export type ItemSource = 'audio' | 'video' | 'screen' | 'file';

export type ItemState = 'waiting' | 'uploading' | 'stored' | 'rejected';

/**
 * Control characters the gateway refuses in a message (all but the newline; a textarea gives
 * line breaks as `\n`): a pasted tab becomes a space.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const CONTROL_CHARACTERS = /[\u0000-\u0009\u000b-\u001f\u007f]/g;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

/** `photo.jpg`, then `photo-2.jpg`, `photo-3.jpg`: the agent tells the files apart by name. */
function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  const dot = name.lastIndexOf('.');
  const [base, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}${extension}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export class OutboxItem {
  readonly blob: Blob;
  readonly source: ItemSource;
  /** Kept across attempts: sending again re-sends nothing storage already holds. */
  readonly upload: Upload;
  readonly element: HTMLLIElement;
  readonly removeButton: HTMLButtonElement;
  /** Bytes stored so far, for the overall progress. */
  sent = 0;
  /** The id the gateway gave the stored upload, once it is stored. */
  uploadId: string | undefined;
  /** The upload id under which the page keeps it for a reopened page (saved-uploads.ts). */
  savedUploadId: string | undefined;
  private readonly stateText: HTMLSpanElement;
  private readonly t: Texts;

  /** `saved`: the intent of an upload a closed page was sending, continued from there. */
  constructor(
    blob: Blob,
    meta: UploadMeta,
    source: ItemSource,
    apiBase: string,
    t: Texts,
    size: string,
    saved?: UploadIntent,
  ) {
    this.blob = blob;
    this.source = source;
    this.upload = new Upload(blob, meta, apiBase, saved);
    this.savedUploadId = saved?.uploadId;
    this.t = t;
    this.element = document.createElement('li');
    this.element.className = 'item';
    const name = document.createElement('span');
    name.className = 'item-name';
    name.textContent = meta.fileName;
    const facts = document.createElement('span');
    facts.className = 'item-size';
    facts.textContent = size;
    this.stateText = document.createElement('span');
    this.stateText.className = 'item-state';
    this.removeButton = document.createElement('button');
    this.removeButton.type = 'button';
    this.removeButton.className = 'button small';
    this.removeButton.dataset.action = 'remove';
    this.removeButton.textContent = t.remove;
    this.removeButton.setAttribute('aria-label', fill(t.removeLabel, { name: meta.fileName }));
    this.element.append(name, facts, this.stateText, this.removeButton);
  }

  get fileName(): string {
    return this.upload.meta.fileName;
  }

  get kind(): UploadKind {
    return this.upload.meta.kind;
  }

  /** Shows what became of the item beside its name; `percent` while it is uploading. */
  setState(state: ItemState, percent = 0): void {
    this.element.dataset.state = state;
    this.stateText.textContent = fill(this.t.itemStates[state], { percent });
  }

  /** Its blob was refused (and deleted by the gateway): the next attempt uploads it anew. */
  reject(): void {
    this.upload.discardBlob();
    this.uploadId = undefined;
    this.sent = 0;
    this.setState('rejected');
  }
}

export type OutboxHost = {
  readonly config: ClientConfig;
  readonly t: Texts;
  readonly apiBase: string;
  bytes(count: number): string;
  announce(text: string): void;
  clearError(): void;
};

export class Outbox {
  readonly sendButton = element<HTMLButtonElement>('send');
  private readonly heading = element<HTMLHeadingElement>('outbox-heading');
  private readonly list = element<HTMLUListElement>('items');
  private readonly messageField = element<HTMLTextAreaElement>('message');
  private readonly messageCount = element<HTMLParagraphElement>('message-count');
  private readonly host: OutboxHost;
  /** Told of every item taken off the list (its upload will not be sent). */
  private readonly onDropped: (item: OutboxItem) => void;
  private readonly entries: OutboxItem[] = [];
  /** What each item's adder wants done when the customer removes it (a take drops its playback). */
  private readonly onRemoved = new Map<OutboxItem, () => void>();

  constructor(host: OutboxHost, onDropped: (item: OutboxItem) => void) {
    this.host = host;
    this.onDropped = onDropped;
    this.messageField.addEventListener('input', () => this.countMessage());
    this.list.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('[data-action="remove"]');
      const item = this.entries.find((entry) => entry.removeButton === button);
      if (item) this.removeByCustomer(item);
    });
  }

  get items(): readonly OutboxItem[] {
    return this.entries;
  }

  /** Bytes the submission can still take: the most a new recording may hold. */
  get room(): number {
    const kept = this.staying().reduce((sum, entry) => sum + entry.blob.size, 0);
    return Math.max(0, this.host.config.maxTotalBytes - kept);
  }

  /** Why `blob` cannot be added (too many files, too large together), or undefined when it can. */
  refusal(blob: Blob, fileName: string): string | undefined {
    const { config, t } = this.host;
    if (this.entries.some((entry) => entry.blob === blob)) return undefined;
    if (this.staying().length >= config.maxFiles) return fill(t.tooManyFiles, { max: config.maxFiles });
    if (blob.size > this.room) {
      return fill(t.totalTooLarge, { name: fileName, max: this.host.bytes(config.maxTotalBytes) });
    }
    return undefined;
  }

  /**
   * Adds a file or recording the customer made; `onRemoved` runs when they remove it from the
   * list. Check `refusal` first. The same blob twice is added once. `saved`: the intent of an
   * upload a closed page was sending.
   */
  add(
    blob: Blob,
    meta: UploadMeta,
    source: ItemSource,
    onRemoved?: () => void,
    saved?: UploadIntent,
  ): OutboxItem {
    const already = this.entries.find((entry) => entry.blob === blob);
    if (already) return already;
    if (this.host.config.maxFiles === 1) for (const replaced of [...this.entries]) this.drop(replaced);
    const taken = new Set(this.entries.map((entry) => entry.fileName));
    const named = { ...meta, fileName: uniqueName(meta.fileName, taken) };
    const { apiBase, t } = this.host;
    const item = new OutboxItem(blob, named, source, apiBase, t, this.host.bytes(blob.size), saved);
    this.entries.push(item);
    if (onRemoved) this.onRemoved.set(item, onRemoved);
    this.list.append(item.element);
    this.refresh();
    return item;
  }

  /** Takes `item` off the list (a take recorded again replaces its item this way). */
  remove(item: OutboxItem): void {
    const index = this.entries.indexOf(item);
    if (index < 0) return;
    this.entries.splice(index, 1);
    this.onRemoved.delete(item);
    item.element.remove();
    this.onDropped(item);
    this.refresh();
  }

  /** The message for the agent as the gateway takes it, or undefined when there is none. */
  message(): string | undefined {
    const text = this.messageField.value.replace(CONTROL_CHARACTERS, ' ').trim();
    return text === '' ? undefined : text;
  }

  /** The message a reopened page was sending, back in its field. */
  setMessage(text: string): void {
    this.messageField.value = text;
    this.countMessage();
  }

  /** While a submission is on its way nothing in it changes. */
  lock(locked: boolean): void {
    this.messageField.readOnly = locked;
    this.sendButton.disabled = locked;
    for (const item of this.entries) item.removeButton.disabled = locked;
  }

  /** Nothing more will be sent from this page. */
  close(): void {
    this.lock(true);
    element<HTMLElement>('outbox').hidden = true;
  }

  /**
   * The items a new one joins. Where a submission holds one file, a new file replaces the one
   * chosen before, as picking another file always did.
   */
  private staying(): readonly OutboxItem[] {
    return this.host.config.maxFiles === 1 ? [] : this.entries;
  }

  /** Takes `item` off the list and tells whoever added it. */
  private drop(item: OutboxItem): void {
    const callback = this.onRemoved.get(item);
    this.remove(item);
    callback?.();
  }

  private removeByCustomer(item: OutboxItem): void {
    const index = this.entries.indexOf(item);
    this.drop(item);
    this.host.clearError();
    this.host.announce(fill(this.host.t.fileRemoved, { name: item.fileName }));
    // Focus stays in the list (the next item's button), else goes to the tabs.
    const next = this.entries[index] ?? this.entries[index - 1];
    if (next) next.removeButton.focus();
    else document.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]')?.focus();
  }

  private countMessage(): void {
    const max = this.messageField.maxLength;
    this.messageCount.textContent = fill(this.host.t.messageCount, {
      count: this.messageField.value.length,
      max,
    });
  }

  /** The list, its heading and the Send button show once something is in it. */
  private refresh(): void {
    const count = this.entries.length;
    this.heading.hidden = count === 0;
    this.list.hidden = count === 0;
    this.sendButton.hidden = count === 0;
    const t = this.host.t;
    const only = this.entries[0];
    this.sendButton.textContent = count === 1 && only ? t.send[only.source] : fill(t.send.several, { count });
  }
}

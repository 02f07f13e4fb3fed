// The links panel: one entry per link, newest first, kept current from the API's answers and
// the live feed. Built with DOM calls and textContent only, so no text becomes markup.
import type { Actor, AuditActor, AuditEntryView, FileUrl, LinkStatus, LinkView } from '@uplink/contracts';
import { formatBytes } from '@uplink/contracts/media-types';
import { fill } from '@uplink/web/text';
import { formatRemaining, formatTime } from './format.ts';
import type { PanelMessages } from './messages.ts';

/**
 * One received file of a link; `uploadId` names it to the preview routes (a server from before
 * submissions of several files gives only `file`, without one: the first file, by default).
 */
export type PanelFile = NonNullable<LinkView['file']> & { uploadId?: string };

/** Read defensively: servers without `customerAttemptRefused` never show the marker. */
export type PanelLink = LinkView;

/** Every file the customer sent with the link, in the order they sent them. */
export function filesOf(link: PanelLink): PanelFile[] {
  if (link.files && link.files.length > 0) return link.files;
  return link.file ? [link.file] : [];
}

/** Which of a link's files an open preview shows (the only file of older servers has no id). */
const fileKey = (file: PanelFile) => file.uploadId ?? '';

type Messages = PanelMessages;

/** Photo types browsers other than Safari cannot show: previewed through a JPEG rendering. */
const RENDERED_TYPES: ReadonlySet<string> = new Set(['image/heic', 'image/heif']);

export type PanelHooks = {
  announce(text: string): void;
  revoke(link: PanelLink): Promise<void>;
  /** A read URL for one file of the link, or undefined when none could be had (already announced). */
  fileUrl(link: PanelLink, file: PanelFile): Promise<FileUrl | undefined>;
  /** A JPEG rendering of one of the link's HEIC/HEIF photos. */
  fileRendering(link: PanelLink, file: PanelFile): Promise<Blob | undefined>;
  /** The link's audit entries, oldest first; without this hook the panel offers no history. */
  history?(link: PanelLink): Promise<AuditEntryView[] | undefined>;
};

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  if (className) created.className = className;
  if (text !== undefined) created.textContent = text;
  return created;
}

const tagOf = (link: LinkView) => `#${link.shortId}`;

/** Who did something, as the links panel names them: an agent with where they work, or a key. */
function actorText(actor: Actor, m: Messages): string {
  return actor.kind === 'agent'
    ? fill(m.actorAgent, { name: actor.name, source: actor.source })
    : fill(m.actorKey, { prefix: actor.keyPrefix, label: actor.label });
}

/** Whoever an audit entry names: an agent or key as above, the customer, a viewer link, Uplink. */
export function auditActorText(actor: AuditActor, m: Messages): string {
  const names = m.auditActors;
  switch (actor.kind) {
    case 'agent':
    case 'api_key':
      return actorText(actor, m);
    case 'customer':
      return fill(names.customer, { browser: actor.userAgent ?? names.unknownBrowser });
    case 'viewer_link':
      return fill(names.viewerLink, { shareId: actor.shareId });
    case 'system':
      return fill(names.system, { name: actor.name });
  }
}

export class LinksPanel {
  private readonly links = new Map<string, PanelLink>();
  private readonly items = new Map<string, HTMLLIElement>();
  /** Open previews by link, each by file, kept across re-renders of their link. */
  private readonly previews = new Map<string, Map<string, HTMLElement>>();
  /** Open histories, kept across re-renders of their link. */
  private readonly histories = new Map<string, HTMLElement>();
  /** Server clock minus ours, learned from `expiresInSeconds`, so countdowns match the server. */
  private skewMs = 0;
  private readonly timer: number;
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLElement;
  private readonly m: Messages;
  private readonly hooks: PanelHooks;

  constructor(list: HTMLUListElement, empty: HTMLElement, m: Messages, hooks: PanelHooks) {
    this.list = list;
    this.empty = empty;
    this.m = m;
    this.hooks = hooks;
    this.timer = window.setInterval(() => this.tick(), 5_000);
  }

  /** A new ticket: forget everything. */
  clear(): void {
    this.links.clear();
    this.items.clear();
    this.previews.clear();
    this.list.replaceChildren();
    this.empty.hidden = true;
  }

  /** The ticket's whole list (a page load, a snapshot, a poll): adds, updates, removes. */
  replaceAll(links: readonly PanelLink[]): void {
    const seen = new Set<string>();
    for (const link of links) {
      seen.add(link.id);
      this.upsert(link, { sort: false });
    }
    for (const id of [...this.links.keys()]) {
      if (!seen.has(id)) {
        this.links.delete(id);
        this.items.get(id)?.remove();
        this.items.delete(id);
        this.previews.delete(id);
      }
    }
    this.sort();
  }

  /** One link's latest state; a changed status is announced. */
  upsert(link: PanelLink, options: { sort?: boolean } = {}): void {
    const previous = this.links.get(link.id);
    // A late copy of a pending link never undoes a revoke, an expiry or a receipt.
    if (previous && previous.status !== 'pending' && link.status === 'pending') return;
    this.learnSkew(link);
    this.links.set(link.id, link);
    this.render(link);
    if (previous && previous.status !== link.status) {
      this.hooks.announce(
        fill(this.m.announceStatus, { tag: tagOf(link), status: this.m.status[link.status] }),
      );
    }
    if (options.sort !== false) this.sort();
  }

  dispose(): void {
    window.clearInterval(this.timer);
  }

  private learnSkew(link: PanelLink): void {
    if (link.status !== 'pending' || link.expiresInSeconds === undefined) return;
    const serverNow = Date.parse(link.expiresAt) - link.expiresInSeconds * 1000;
    this.skewMs = serverNow - Date.now();
  }

  private now(): number {
    return Date.now() + this.skewMs;
  }

  private sort(): void {
    const ordered = [...this.links.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    ordered.forEach((link, index) => {
      const item = this.items.get(link.id);
      if (item && this.list.children[index] !== item)
        this.list.insertBefore(item, this.list.children[index] ?? null);
    });
    this.empty.hidden = this.links.size > 0;
  }

  /** Countdowns move on; a pending link past its expiry reads as expired, as the server would say. */
  private tick(): void {
    for (const link of this.links.values()) {
      if (link.status !== 'pending') continue;
      if (Date.parse(link.expiresAt) <= this.now()) {
        const { expiresInSeconds: _, ...rest } = link;
        this.upsert({ ...rest, status: 'expired' });
      } else {
        const countdown = this.items.get(link.id)?.querySelector<HTMLElement>('.countdown');
        if (countdown) countdown.textContent = this.countdownText(link);
      }
    }
  }

  private countdownText(link: LinkView): string {
    const remaining = Math.max(0, Date.parse(link.expiresAt) - this.now());
    return fill(this.m.expiresIn, { time: formatRemaining(remaining, this.m) });
  }

  private render(link: PanelLink): void {
    const m = this.m;
    let item = this.items.get(link.id);
    const hadFocus = item?.contains(document.activeElement) ?? false;
    if (!item) {
      item = element('li', 'link');
      item.tabIndex = -1;
      item.dataset.id = link.id;
      this.items.set(link.id, item);
      this.list.prepend(item);
    }
    item.dataset.status = link.status;
    item.setAttribute('aria-label', fill(m.linkLabel, { tag: tagOf(link) }));

    const head = element('div', 'link-head');
    head.append(
      element('span', 'tag', tagOf(link)),
      element('span', `badge status-${link.status}`, m.status[link.status as LinkStatus]),
    );
    if (link.status === 'pending') head.append(element('span', 'countdown', this.countdownText(link)));
    if (link.customerAttemptRefused === true) {
      const marker = element('span', 'marker', m.refusedShort);
      marker.title = m.refused;
      const full = element('span', 'visually-hidden', ` ${m.refused}`);
      head.append(marker, full);
      marker.setAttribute('aria-hidden', 'true');
    }

    const parts: HTMLElement[] = [head];
    if (link.contextMessage) parts.push(element('p', 'context', link.contextMessage));
    const meta = element('p', 'meta');
    const time = element('time', '', formatTime(link.createdAt));
    time.dateTime = link.createdAt;
    const [before = '', after = ''] = m.sent.split('{time}');
    meta.append(before, time, after);
    if (link.createdBy) meta.append(fill(m.by, { actor: actorText(link.createdBy, m) }));
    parts.push(meta);
    if (link.revokedBy) {
      parts.push(element('p', 'meta', fill(m.revokedBy, { actor: actorText(link.revokedBy, m) })));
    }
    if (link.blockedUpload) {
      const { fileName, signature, blockedAt } = link.blockedUpload;
      head.append(element('span', 'marker', m.blockedShort));
      parts.push(
        element('p', 'failure', fill(m.blocked, { file: fileName, signature, time: formatTime(blockedAt) })),
      );
    }
    if (link.status === 'delivery_failed' && link.deliveryFailure) {
      parts.push(element('p', 'failure', fill(m.failure, { reason: link.deliveryFailure })));
    }
    if (link.customerMessage) parts.push(this.customerMessageElement(link.customerMessage));
    const files = filesOf(link);
    // Retention deletes every file of a link at once.
    const deletedAt = files.find((file) => file.deletedAt)?.deletedAt;
    if (deletedAt) {
      const deleted = element('p', 'meta');
      const when = element('time', '', formatTime(deletedAt));
      when.dateTime = deletedAt;
      const [lead = '', rest = ''] = m.fileDeleted.split('{time}');
      deleted.append(lead, when, rest);
      parts.push(deleted);
    }

    const actions = element('div', 'link-actions');
    if (link.status === 'pending') {
      const revoke = element('button', 'button danger small', m.revoke);
      revoke.type = 'button';
      revoke.dataset.action = 'revoke';
      revoke.setAttribute('aria-label', fill(m.revokeLabel, { tag: tagOf(link) }));
      revoke.addEventListener('click', () => {
        revoke.disabled = true;
        this.hooks.revoke(link).finally(() => {
          revoke.disabled = false;
        });
      });
      actions.append(revoke);
    }
    const url = link.delivery?.url;
    if ((link.status === 'received' || link.status === 'delivered') && url && /^https?:\/\//i.test(url)) {
      const go = element('a', 'button small', m.goToMessage);
      go.href = url;
      go.target = '_blank';
      go.rel = 'noopener noreferrer';
      go.dataset.action = 'go';
      actions.append(go);
    }
    if (this.hooks.history) actions.append(this.historyButton(link));
    if (deletedAt) this.previews.delete(link.id);
    // A file that could not be posted to the ticket is still the agent's to look at.
    const settled = ['received', 'delivered', 'delivery_failed'].includes(link.status);
    if (settled && files.length > 0) parts.push(this.filesElement(link, files, !deletedAt));
    if (actions.childElementCount > 0) parts.push(actions);
    const history = this.histories.get(link.id);
    if (history) parts.push(history);
    item.replaceChildren(...parts);
    if (hadFocus) item.focus();
  }

  private historyButton(link: PanelLink): HTMLButtonElement {
    const m = this.m;
    const open = this.histories.has(link.id);
    const button = element('button', 'button small', open ? m.hideHistory : m.history);
    button.type = 'button';
    button.dataset.action = 'history';
    button.setAttribute('aria-label', fill(open ? m.hideHistoryLabel : m.historyLabel, { tag: tagOf(link) }));
    button.setAttribute('aria-expanded', String(open));
    button.addEventListener('click', async () => {
      if (this.histories.has(link.id)) {
        this.histories.delete(link.id);
      } else {
        button.disabled = true;
        const entries = await this.hooks.history?.(link).finally(() => {
          button.disabled = false;
        });
        if (!entries) return;
        this.histories.set(link.id, this.historyElement(link, entries));
      }
      const current = this.links.get(link.id);
      if (current) this.render(current);
      this.items.get(link.id)?.querySelector<HTMLElement>('[data-action="history"]')?.focus();
    });
    return button;
  }

  /** Who did what with the link and when, oldest first. */
  private historyElement(link: PanelLink, entries: readonly AuditEntryView[]): HTMLElement {
    const m = this.m;
    const list = element('ol', 'history');
    list.setAttribute('aria-label', fill(m.historyOf, { tag: tagOf(link) }));
    for (const entry of entries) {
      const item = element('li', '');
      const when = element('time', '', formatTime(entry.at));
      when.dateTime = entry.at;
      const text = fill(m.historyEntry, {
        action: m.auditActions[entry.action],
        actor: auditActorText(entry.actor, m),
      });
      item.append(when, ` ${text}`);
      list.append(item);
    }
    return list;
  }

  /** The customer's message as they typed it: text, never markup, its line breaks kept. */
  private customerMessageElement(message: string): HTMLElement {
    const box = element('div', 'customer-message');
    box.append(
      element('p', 'customer-message-label', this.m.customerMessage),
      element('p', 'customer-message-text', message),
    );
    return box;
  }

  /** Every file of the link: name, size and kind, and (while stored) its preview. */
  private filesElement(link: PanelLink, files: readonly PanelFile[], previewable: boolean): HTMLElement {
    const list = element('ul', 'files');
    list.setAttribute('aria-label', fill(this.m.filesOf, { tag: tagOf(link) }));
    const open = this.previews.get(link.id);
    for (const file of files) {
      const entry = element('li', 'file');
      entry.dataset.file = fileKey(file);
      const facts = fill(this.m.fileFacts, {
        size: formatBytes(file.size),
        kind: this.m.fileKinds[file.kind],
      });
      entry.append(element('span', 'file-name', file.fileName), element('span', 'file-facts', facts));
      if (previewable) entry.append(this.previewButton(link, file));
      const preview = open?.get(fileKey(file));
      if (preview) entry.append(preview);
      list.append(entry);
    }
    return list;
  }

  private previewButton(link: PanelLink, file: PanelFile): HTMLButtonElement {
    const key = fileKey(file);
    const open = this.previews.get(link.id)?.has(key) ?? false;
    const button = element('button', 'button small', open ? this.m.hidePreview : this.m.preview);
    button.type = 'button';
    button.dataset.action = 'preview';
    // The accessible name starts with the visible text, as speech input expects.
    const names = { tag: tagOf(link), name: file.fileName };
    button.setAttribute('aria-label', fill(open ? this.m.hidePreviewLabel : this.m.previewLabel, names));
    button.setAttribute('aria-expanded', String(open));
    button.addEventListener('click', async () => {
      const previews = this.previews.get(link.id) ?? new Map<string, HTMLElement>();
      if (previews.has(key)) {
        previews.delete(key);
      } else {
        button.disabled = true;
        const url = await this.hooks.fileUrl(link, file).finally(() => {
          button.disabled = false;
        });
        if (!url) return;
        previews.set(key, this.previewElement(link, file, url));
      }
      if (previews.size > 0) this.previews.set(link.id, previews);
      else this.previews.delete(link.id);
      const current = this.links.get(link.id);
      if (current) this.render(current);
      this.items
        .get(link.id)
        ?.querySelector<HTMLElement>(`[data-file="${CSS.escape(key)}"] [data-action="preview"]`)
        ?.focus();
    });
    return button;
  }

  /**
   * HEIC and HEIF photos: shown as they are where the browser can (Safari), otherwise, once the
   * browser failed to decode the original, as the JPEG rendering link-service makes of it.
   */
  private showRenderingIfUnsupported(link: PanelLink, file: PanelFile, image: HTMLImageElement): void {
    image.addEventListener(
      'error',
      async () => {
        const jpeg = await this.hooks.fileRendering(link, file);
        if (!jpeg) return;
        const url = URL.createObjectURL(jpeg);
        // A decoded image stays shown after its URL is revoked.
        image.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
        image.src = url;
      },
      { once: true },
    );
  }

  /** The file inline: a player, an image, or a link that opens it (PDF and anything else). */
  private previewElement(link: PanelLink, file: PanelFile, read: FileUrl): HTMLElement {
    const label = fill(this.m.previewOf, { tag: tagOf(link), name: file.fileName });
    const box = element('div', 'preview');
    const type = read.contentType.toLowerCase();
    if (type.startsWith('audio/') || type.startsWith('video/')) {
      const media = element(type.startsWith('audio/') ? 'audio' : 'video', '');
      media.controls = true;
      media.preload = 'metadata';
      media.setAttribute('aria-label', label);
      media.src = read.url;
      box.append(media);
    } else if (type.startsWith('image/')) {
      const image = element('img', '');
      image.alt = label;
      if (RENDERED_TYPES.has(type)) this.showRenderingIfUnsupported(link, file, image);
      image.src = read.url;
      box.append(image);
    } else {
      const open = element(
        'a',
        'button small',
        type === 'application/pdf' ? this.m.openPdf : this.m.openFile,
      );
      open.href = read.url;
      open.target = '_blank';
      open.rel = 'noopener noreferrer';
      open.setAttribute('aria-label', `${open.textContent ?? ''}: ${label}`);
      box.append(open);
    }
    return box;
  }
}

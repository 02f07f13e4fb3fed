// Freshdesk: each submission becomes one private note on the ticket, with its files attached
// (streamed from the blobs, one after the other) and, for the files Freshdesk's 20 MB per-ticket cap
// leaves no room for, links to them instead.
// API v2: POST /api/v2/tickets/{id}/notes (multipart or JSON), GET .../conversations; basic auth
// with the API key as user name and any password ("X").

import type { UploadedFile } from '@uplink/contracts';
import type { EgressClient, EgressRequest } from '@uplink/egress';
import {
  type Delivery,
  type DeliveryOutcome,
  type Destination,
  outcomeForError,
  outcomeForStatus,
} from './destination.ts';
import {
  FRESHDESK_ATTACHMENT_LIMIT_BYTES,
  freshdeskNoteHtml,
  type LinkedWhy,
  type NoteFile,
} from './freshdesk-note.ts';
import { destroyStream, multipartBody } from './multipart-body.ts';

export type FreshdeskConfig = {
  /** The account's address, e.g. https://acme.freshdesk.com (or a local double in tests). */
  baseUrl: string;
  apiKey: string;
};

export type FreshdeskOptions = {
  /** The one client for tenant-chosen hosts: address rules, no redirects, capped reads. */
  egress: EgressClient;
  /** How long the viewer link in a link-instead-of-attachment note works (default 7 days). */
  linkTtlMs?: number;
  /** Each HTTP request, body upload included, must be answered within this (default 120 s). */
  requestTimeoutMs?: number;
  /** The clock for the expiry printed in link notes. */
  now?: () => Date;
};

export const DEFAULT_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
/** Freshdesk's maximum page size for list endpoints. */
const PER_PAGE = 100;
/** 10,000 conversations: a ticket with more is not one Uplink is delivering to. */
const MAX_PAGES = 100;
const MAX_NOTE_BYTES = 1024 * 1024;
const MAX_PAGE_BYTES = 32 * 1024 * 1024;
/** `reason` of note.failed is at most 1000 characters. */
const MAX_REASON_CHARS = 900;

type Answer = { status: number; headers: Headers; text: string; complete: boolean };
type NoAnswer = { error: unknown; timedOut: boolean; stopped: boolean };
type Mode = 'attachment' | 'link';

/** Returned by the attachment attempt when Freshdesk refused the files for the ticket's 20 MB cap. */
const TICKET_FULL = Symbol('ticket full');

/** What one note carries: the files attached, and the files linked with why. */
type NotePlan = {
  attached: readonly UploadedFile[];
  linked: readonly { file: UploadedFile; why: LinkedWhy }[];
};

/**
 * Which files go into the note as attachments: greedily in the customer's order, each that still
 * fits under the 20 MB cap with the ones before it; the others are linked. Freshdesk caps all
 * attachments of a TICKET at 20 MB together (its API documentation for notes; the double enforces
 * it), so a second note could never carry an attachment this one has no room for: one note holds
 * the whole submission, never a split.
 */
export function planNote(files: readonly UploadedFile[]): NotePlan {
  const attached: UploadedFile[] = [];
  const linked: { file: UploadedFile; why: LinkedWhy }[] = [];
  let bytes = 0;
  for (const file of files) {
    if (file.size > FRESHDESK_ATTACHMENT_LIMIT_BYTES) linked.push({ file, why: 'file-too-large' });
    else if (bytes + file.size > FRESHDESK_ATTACHMENT_LIMIT_BYTES) linked.push({ file, why: 'ticket-full' });
    else {
      attached.push(file);
      bytes += file.size;
    }
  }
  return { attached, linked };
}

/**
 * Posts a submission as one private note on a Freshdesk ticket: its files attached where the
 * ticket's 20 MB cap leaves room (see planNote), linked where not, and the customer's message.
 *
 * Idempotency. Freshdesk has no idempotency key, so every note carries its first file's upload id
 * in a "Uplink reference: upl_…" line (a note posted for a single-file event of schema version 1
 * carries that file's, the same), and an attempt that may repeat an earlier one
 * (`delivery.uncertain`) first lists the ticket's conversations and returns the note it finds
 * instead of posting another. What that guarantees, and what it cannot:
 * - A crash, timeout or reset after Freshdesk stored the note but before its answer was recorded
 *   is recovered on the next attempt: the note is found and its id returned, no second note.
 * - Two attempts posting at the same moment would both see nothing and both post: this check does
 *   not prevent that; the relay's lease on the link's delivery state (a conditional update) makes
 *   sure only one attempt runs at a time.
 * - A note whose reference an agent edited away (or that was deleted) is not found, so the file is
 *   posted again. Freshdesk's list may lag a write by a moment; an attempt right after a lost
 *   answer could miss the note (the redelivery backoff makes that unlikely, not impossible).
 * - Tickets with more than 10,000 conversations are only searched that far.
 */
export class FreshdeskDestination implements Destination {
  readonly #baseUrl: string;
  readonly #authorization: string;
  readonly #linkTtlMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => Date;
  readonly #egress: EgressClient;

  constructor(config: FreshdeskConfig, options: FreshdeskOptions) {
    this.#baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.#authorization = `Basic ${Buffer.from(`${config.apiKey}:X`, 'utf8').toString('base64')}`;
    this.#linkTtlMs = options.linkTtlMs ?? DEFAULT_LINK_TTL_MS;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#now = options.now ?? (() => new Date());
    this.#egress = options.egress;
  }

  async deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    const { ticket } = delivery.event.data;
    if (!/^[1-9]\d{0,17}$/.test(ticket.id)) {
      return { kind: 'failed', reason: `Freshdesk ticket ids are numbers; "${ticket.id}" is not one` };
    }
    if (delivery.uncertain) {
      const earlier = await this.#findEarlierNote(ticket.id, delivery.files[0].uploadId, delivery.signal);
      if (earlier !== undefined) return earlier;
    }
    // Viewer links are minted once per file and attempt, also when a refused note is posted again
    // with links only: each one is a capability of its own.
    const links = new ViewerLinks(delivery, this.#linkTtlMs, this.#now);
    // Decided up front: a file over the cap can never be attached, so it is not even sent.
    const plan = planNote(delivery.files);
    const attached =
      plan.attached.length === 0 ? TICKET_FULL : await this.#postAttachmentNote(delivery, plan, links);
    if (attached !== TICKET_FULL) return attached;
    const allLinked: NotePlan = {
      attached: [],
      linked: delivery.files.map(
        (file) => plan.linked.find((item) => item.file === file) ?? { file, why: 'ticket-full' },
      ),
    };
    return this.#postLinkNote(delivery, allLinked, links);
  }

  async #postAttachmentNote(
    delivery: Delivery,
    plan: NotePlan,
    links: ViewerLinks,
  ): Promise<DeliveryOutcome | typeof TICKET_FULL> {
    const { ticket } = delivery.event.data;
    const [first, ...rest] = plan.attached;
    if (first === undefined) return TICKET_FULL;
    const html = await this.#noteHtml(delivery, plan, links);
    if (typeof html !== 'string') return html;
    // The first file is opened before anything is sent: a file gone since verification fails the
    // attempt without a request. The others are opened as the body reaches them.
    let opened: Awaited<ReturnType<Delivery['openFile']>>;
    try {
      opened = await delivery.openFile(first);
    } catch (error) {
      return { kind: 'retry', reason: `reading the file failed: ${messageOf(error)}` };
    }
    if (opened === undefined) return changedOutcome(first);
    const firstStream = opened.stream;
    const body = multipartBody(
      [
        { name: 'body', value: html },
        { name: 'private', value: 'true' },
      ],
      [
        { ...attachmentPart(first), open: async () => firstStream },
        ...rest.map((file) => ({
          ...attachmentPart(file),
          open: async () => {
            const later = await delivery.openFile(file);
            if (later === undefined) throw new Error(changedOutcome(file).reason);
            return later.stream;
          },
        })),
      ],
    );
    try {
      const answer = await this.#exchange(
        this.#notesPath(ticket.id),
        {
          method: 'POST',
          headers: { 'content-type': body.contentType, 'content-length': String(body.contentLength) },
          body: body.stream,
        },
        delivery.signal,
        MAX_NOTE_BYTES,
      );
      if ('error' in answer) {
        const fileError = body.fileError();
        return fileError !== undefined
          ? { kind: 'retry', reason: fileError.message }
          : this.#noAnswerOutcome(answer);
      }
      if (answer.status === 400 && refusedForTicketCap(answer.text)) return TICKET_FULL;
      return this.#noteOutcome(answer, delivery, 'attachment');
    } finally {
      body.dispose();
      // Not pulled at all when the request failed before reading its body: close that read too.
      destroyStream(firstStream);
    }
  }

  async #postLinkNote(delivery: Delivery, plan: NotePlan, links: ViewerLinks): Promise<DeliveryOutcome> {
    const html = await this.#noteHtml(delivery, plan, links);
    if (typeof html !== 'string') return html;
    const answer = await this.#exchange(
      this.#notesPath(delivery.event.data.ticket.id),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ body: html, private: true }),
      },
      delivery.signal,
      MAX_NOTE_BYTES,
    );
    if ('error' in answer) return this.#noAnswerOutcome(answer);
    return this.#noteOutcome(answer, delivery, 'link');
  }

  /**
   * The note of an earlier attempt, as `posted`; a `retry`/`failed` when the ticket cannot be
   * read; undefined when there is none (then this attempt posts).
   */
  async #findEarlierNote(
    ticketId: string,
    uploadId: string,
    signal: AbortSignal,
  ): Promise<DeliveryOutcome | undefined> {
    // Freshdesk paginates with ?page=N&per_page=M (at most 100) and sets a `link: <…>; rel="next"`
    // header while more pages exist; a full page is also taken as a sign of more.
    for (let page = 1; page <= MAX_PAGES; page++) {
      const answer = await this.#exchange(
        `/api/v2/tickets/${ticketId}/conversations?page=${page}&per_page=${PER_PAGE}`,
        { method: 'GET' },
        signal,
        MAX_PAGE_BYTES,
      );
      if ('error' in answer) return this.#noAnswerOutcome(answer);
      if (answer.status !== 200)
        return this.#refusal(answer, ticketId, 'listing the ticket to look for an earlier note');
      const conversations = parseJson(answer);
      if (!Array.isArray(conversations)) {
        return { kind: 'retry', reason: "Freshdesk's list of the ticket's conversations could not be read" };
      }
      for (const conversation of conversations) {
        const found = asEarlierNote(conversation, uploadId);
        if (found !== undefined) return this.#posted(ticketId, found.id, found.mode);
      }
      const more =
        /rel="?next"?/i.test(answer.headers.get('link') ?? '') || conversations.length === PER_PAGE;
      if (!more || conversations.length > PER_PAGE) return undefined;
    }
    return undefined;
  }

  /** The note's HTML for the plan, with a viewer link for each linked file; or why not. */
  async #noteHtml(delivery: Delivery, plan: NotePlan, links: ViewerLinks): Promise<string | DeliveryOutcome> {
    const { data } = delivery.event;
    const files: NoteFile[] = [];
    for (const file of delivery.files) {
      const linked = plan.linked.find((item) => item.file === file);
      const link = linked === undefined ? undefined : await links.linkTo(file, linked.why);
      if (link !== undefined && 'kind' in link) return link;
      files.push({ fileName: file.fileName, contentType: file.contentType, size: file.size, link });
    }
    return freshdeskNoteHtml({
      shortId: data.shortId,
      contextMessage: data.contextMessage,
      customerMessage: delivery.customerMessage,
      uploadId: delivery.files[0].uploadId,
      receivedAt: data.receivedAt,
      files,
    });
  }

  async #noteOutcome(answer: Answer, delivery: Delivery, mode: Mode): Promise<DeliveryOutcome> {
    const ticketId = delivery.event.data.ticket.id;
    if (answer.status !== 200 && answer.status !== 201)
      return this.#refusal(answer, ticketId, 'posting the note');
    const note = parseJson(answer);
    const id = isRecord(note) ? note.id : undefined;
    if (typeof id === 'number' || (typeof id === 'string' && id !== ''))
      return this.#posted(ticketId, id, mode);
    // Stored, but the answer does not say as what: find it by its reference rather than risk a
    // second note on the next attempt.
    const found = await this.#findEarlierNote(ticketId, delivery.files[0].uploadId, delivery.signal);
    return (
      found ?? {
        kind: 'retry',
        reason: `Freshdesk answered ${answer.status} without the note's id, and it was not found`,
      }
    );
  }

  #posted(ticketId: string, noteId: number | string, mode: Mode): DeliveryOutcome {
    return {
      kind: 'posted',
      target: { noteId: String(noteId), url: `${this.#baseUrl}/a/tickets/${ticketId}`, mode },
    };
  }

  /** A non-success answer, in words a tenant admin can act on. */
  #refusal(answer: Answer, ticketId: string, doing: string): DeliveryOutcome {
    const host = hostOf(this.#baseUrl);
    switch (answer.status) {
      case 401:
        return { kind: 'failed', reason: `Freshdesk (${host}) refused the API key (401)` };
      case 403:
        return {
          kind: 'failed',
          reason: clip(
            `Freshdesk (${host}) does not allow this API key to add notes to ticket ${ticketId} (403)${detailSuffix(answer)}`,
          ),
        };
      case 404:
        return { kind: 'failed', reason: `Freshdesk (${host}) has no ticket ${ticketId} (404)` };
    }
    if (answer.status === 429 || answer.status === 408 || answer.status >= 500) {
      return outcomeForStatus(answer.status, 'Freshdesk', answer.headers.get('retry-after'));
    }
    return {
      kind: 'failed',
      reason: clip(
        `Freshdesk refused ${doing} on ticket ${ticketId} (${answer.status})${detailSuffix(answer)}`,
      ),
    };
  }

  #noAnswerOutcome(noAnswer: NoAnswer): DeliveryOutcome {
    if (noAnswer.timedOut) {
      return { kind: 'retry', reason: `Freshdesk did not answer within ${duration(this.#timeoutMs)}` };
    }
    if (noAnswer.stopped)
      return { kind: 'retry', reason: 'the attempt was stopped before Freshdesk answered' };
    return outcomeForError(noAnswer.error, 'Freshdesk');
  }

  /** One request with this destination's auth and timeout; the answer's body read (capped). */
  async #exchange(
    path: string,
    init: Pick<EgressRequest, 'method' | 'headers' | 'body'>,
    signal: AbortSignal,
    maxBytes: number,
  ): Promise<Answer | NoAnswer> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    try {
      // No redirect is followed (the egress client's rule): besides where a redirect could lead
      // the API key, following one means holding the whole streamed body to replay it.
      const response = await this.#egress.request(`${this.#baseUrl}${path}`, {
        ...init,
        headers: { ...init.headers, authorization: this.#authorization, accept: 'application/json' },
        signal: AbortSignal.any([signal, timeout]),
        timeoutMs: this.#timeoutMs,
        maxResponseBytes: maxBytes,
      });
      return {
        status: response.status,
        headers: response.headers,
        text: response.text,
        complete: response.complete,
      };
    } catch (error) {
      return { error, timedOut: timeout.aborted && !signal.aborted, stopped: signal.aborted };
    }
  }

  #notesPath(ticketId: string): string {
    return `/api/v2/tickets/${ticketId}/notes`;
  }
}

/** The viewer links of one attempt's note: one per linked file, minted on first use. */
class ViewerLinks {
  readonly #delivery: Delivery;
  readonly #ttlMs: number;
  readonly #expiresAt: Date;
  readonly #urls = new Map<string, string>();

  constructor(delivery: Delivery, ttlMs: number, now: () => Date) {
    this.#delivery = delivery;
    this.#ttlMs = ttlMs;
    // The expiry printed is taken before the URLs are made, so a link never ends earlier than said.
    this.#expiresAt = new Date(now().getTime() + ttlMs);
  }

  async linkTo(file: UploadedFile, why: LinkedWhy): Promise<NoteFile['link'] | DeliveryOutcome> {
    let url = this.#urls.get(file.uploadId);
    if (url === undefined) {
      try {
        url = await this.#delivery.viewerUrl(file, this.#ttlMs);
      } catch (error) {
        return { kind: 'retry', reason: `making a link to the file failed: ${messageOf(error)}` };
      }
      if (!/^https?:\/\//i.test(url))
        return { kind: 'failed', reason: `the file link is not an http(s) URL` };
      this.#urls.set(file.uploadId, url);
    }
    return { url, expiresAt: this.#expiresAt, why };
  }
}

function attachmentPart(file: UploadedFile) {
  return { field: 'attachments[]', fileName: file.fileName, contentType: file.contentType, size: file.size };
}

function changedOutcome(file: UploadedFile): Extract<DeliveryOutcome, { kind: 'failed' }> {
  return {
    kind: 'failed',
    reason: `The uploaded file ${file.fileName} changed or was deleted after it was verified, so it was not posted`,
  };
}

type FieldError = { field?: unknown; message?: unknown; code?: unknown };

/** Freshdesk's validation envelope naming `attachments` / `invalid_size`: the ticket's 20 MB cap. */
function refusedForTicketCap(text: string): boolean {
  const body = parseJsonText(text);
  if (!isRecord(body) || !Array.isArray(body.errors)) return false;
  return body.errors.some(
    (error: FieldError) => isRecord(error) && error.field === 'attachments' && error.code === 'invalid_size',
  );
}

/**
 * What Freshdesk said, from its two error shapes: `{description, errors: [{field, message, code}]}`
 * and `{code, message}`. Empty when the body has neither (404s, for one, come empty).
 */
export function freshdeskErrorDetail(text: string): string {
  const body = parseJsonText(text);
  if (!isRecord(body)) return '';
  const parts: string[] = [];
  if (Array.isArray(body.errors)) {
    for (const error of body.errors as FieldError[]) {
      if (!isRecord(error)) continue;
      const field = typeof error.field === 'string' && error.field !== '' ? `${error.field}: ` : '';
      const message = typeof error.message === 'string' ? error.message : String(error.code ?? '');
      parts.push(`${field}${message}`);
    }
  }
  if (parts.length === 0 && typeof body.message === 'string') parts.push(body.message);
  if (parts.length === 0 && typeof body.description === 'string') parts.push(body.description);
  return parts.join('; ');
}

function detailSuffix(answer: Answer): string {
  const detail = freshdeskErrorDetail(answer.text);
  return detail === '' ? '' : `: ${detail}`;
}

type Conversation = {
  id?: unknown;
  body?: unknown;
  body_text?: unknown;
  private?: unknown;
  attachments?: unknown;
};

/** A private note carrying this upload's id: Uplink's note from an earlier attempt. */
function asEarlierNote(value: unknown, uploadId: string): { id: number | string; mode: Mode } | undefined {
  if (!isRecord(value)) return undefined;
  const conversation = value as Conversation;
  const id = conversation.id;
  if (typeof id !== 'number' && typeof id !== 'string') return undefined;
  if (conversation.private !== true) return undefined;
  const carries = (text: unknown) => typeof text === 'string' && text.includes(uploadId);
  if (!carries(conversation.body) && !carries(conversation.body_text)) return undefined;
  const attached = Array.isArray(conversation.attachments) && conversation.attachments.length > 0;
  return { id, mode: attached ? 'attachment' : 'link' };
}

function parseJson(answer: Answer): unknown {
  return answer.complete ? parseJsonText(answer.text) : undefined;
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}

function clip(text: string): string {
  return text.length <= MAX_REASON_CHARS ? text : `${text.slice(0, MAX_REASON_CHARS - 1)}…`;
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

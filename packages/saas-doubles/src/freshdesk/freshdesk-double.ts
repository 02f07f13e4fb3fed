// A local Freshdesk double that implements the v2 API subset Uplink uses, strictly: basic auth with
// the API key, the notes endpoint with multipart (streamed) or JSON bodies, Freshdesk's validation
// envelope, and the 20 MB cap on all attachments of one ticket together. Faults (5xx, timeouts,
// resets, lost responses, 429 with Retry-After, latency) can be injected at run time.
// For tests and benchmarks only.

import { createHash, type Hash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { listenOnLoopback, seededRandom } from '../loopback.ts';
import {
  type FreshdeskFieldError,
  fieldErrors,
  humanSize,
  internalError,
  invalidCredentials,
  validationFailed,
} from './freshdesk-errors.ts';
import {
  MultipartError,
  MultipartParser,
  multipartBoundary,
  type PartInfo,
  type PartSink,
} from './multipart.ts';

export const FRESHDESK_DOUBLE_API_KEY = 'freshdesk-double-api-key';
/** Freshdesk: all attachments of one ticket together at most 20 MB (Rails megabytes, 1024²). */
export const FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES = 20 * 1024 * 1024;

/**
 * - `http500` / `http502` / `http503`: the body is read, then the error is answered.
 * - `timeout`: the request is held unread and its socket destroyed after `hangMs`.
 * - `reset`: the socket is destroyed as soon as the request line and headers arrive.
 * - `lost-response`: the request is processed (a note IS stored) and the socket destroyed instead
 *   of answering: the "POST succeeded but the client never heard" case.
 */
export type FreshdeskFaultKind = 'http500' | 'http502' | 'http503' | 'timeout' | 'reset' | 'lost-response';

export const FRESHDESK_DEFAULT_FAULT_KINDS: readonly FreshdeskFaultKind[] = [
  'http500',
  'http502',
  'http503',
  'timeout',
  'reset',
];

export interface FreshdeskFaultSettings {
  /** Chance in [0, 1] that an API request is answered with a fault. */
  readonly probability: number;
  /** Picked uniformly per faulted request; defaults to FRESHDESK_DEFAULT_FAULT_KINDS. */
  readonly kinds?: readonly FreshdeskFaultKind[];
}

export interface FreshdeskTicketSeed {
  readonly id: number;
  readonly subject?: string;
  /** Bytes of attachments the ticket already holds (they count towards the 20 MB cap). */
  readonly existingAttachmentBytes?: number;
}

export interface FreshdeskDoubleOptions {
  /** The API key basic auth must carry as user name; defaults to FRESHDESK_DOUBLE_API_KEY. */
  readonly apiKey?: string;
  readonly tickets?: readonly FreshdeskTicketSeed[];
  /** Added before every API request is handled. */
  readonly latencyMs?: number;
  readonly faults?: FreshdeskFaultSettings | null;
  /** How long a `timeout` fault holds the request before destroying the socket (default 30 s). */
  readonly hangMs?: number;
  /** Seeds the fault dice so a run is reproducible; Math.random when absent. */
  readonly seed?: number;
  /** Keep attachment bytes for tests to compare (default true); sizes and SHA-256 are always kept. */
  readonly retainAttachmentBytes?: boolean;
  /** Defaults to FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES. */
  readonly ticketAttachmentLimitBytes?: number;
  /** The agent the API key belongs to: the notes' `user_id`. */
  readonly agentId?: number;
}

export interface FreshdeskStoredAttachment {
  readonly id: number;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  /** Hex SHA-256 of the bytes received, whether or not they were retained. */
  readonly sha256: string;
  /** The exact bytes received; null when the double runs with retainAttachmentBytes: false. */
  readonly bytes: Buffer | null;
}

export interface FreshdeskStoredNote {
  readonly id: number;
  readonly ticketId: number;
  readonly body: string;
  readonly private: boolean;
  readonly incoming: boolean;
  readonly userId: number;
  readonly notifyEmails: readonly string[];
  readonly attachments: readonly FreshdeskStoredAttachment[];
  /** When the note was stored, on the same clock as the request log (ms since the epoch). */
  readonly storedAt: number;
  /** The JSON Freshdesk answered (or would have answered) for it. */
  readonly json: FreshdeskNoteJson;
}

export interface FreshdeskAttachmentJson {
  readonly id: number;
  readonly name: string;
  readonly content_type: string;
  readonly size: number;
  readonly attachment_url: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface FreshdeskNoteJson {
  readonly id: number;
  readonly ticket_id: number;
  readonly body: string;
  readonly body_text: string;
  readonly private: boolean;
  readonly incoming: boolean;
  readonly source: 2;
  readonly user_id: number;
  readonly support_email: null;
  readonly notified_to: readonly string[];
  readonly attachments: readonly FreshdeskAttachmentJson[];
  readonly created_at: string;
  readonly updated_at: string;
}

export interface FreshdeskRequestRecord {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  /** The ticket id in the path, when there is one. */
  readonly ticketId: number | null;
  /** ms since the epoch, sub-millisecond (performance clock): subtract two to time a retry. */
  readonly receivedAt: number;
  readonly finishedAt: number | null;
  /** null: no HTTP response was sent (timeout, reset, lost response, client gone). */
  readonly status: number | null;
  readonly fault: FreshdeskFaultKind | 'rate-limit' | null;
  readonly noteId: number | null;
  /** Why the request was refused or failed, for test failure messages. */
  readonly error: string | null;
}

export interface FreshdeskDouble {
  /** http://127.0.0.1:<port>, the `baseUrl` to configure. */
  readonly url: string;
  readonly apiKey: string;
  /** Every request in arrival order, including faulted ones. */
  readonly requests: readonly FreshdeskRequestRecord[];
  notes(ticketId: number): readonly FreshdeskStoredNote[];
  /** Existing bytes plus the bytes of every stored note's attachments. */
  ticketAttachmentBytes(ticketId: number): number;
  addTicket(seed: FreshdeskTicketSeed): void;
  /** Resolves once the ticket holds at least `count` notes. */
  waitForNotes(ticketId: number, count: number, timeoutMs?: number): Promise<readonly FreshdeskStoredNote[]>;
  /** The next `count` API requests get this fault (before any probabilistic ones). */
  failNext(count: number, kind: FreshdeskFaultKind): void;
  /** The next `count` authenticated API requests get 429 with Retry-After: `retryAfterSeconds`. */
  rateLimit(count: number, retryAfterSeconds: number): void;
  setFaults(settings: FreshdeskFaultSettings | null): void;
  setLatency(ms: number): void;
  /** Drops queued faults, rate limits, probabilistic faults and latency. */
  clearFaults(): void;
  stop(): Promise<void>;
}

const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_JSON_BYTES = 1024 * 1024;

export async function startFreshdeskDouble(options: FreshdeskDoubleOptions = {}): Promise<FreshdeskDouble> {
  const server = createServer();
  return new FreshdeskDoubleServer(server, await listenOnLoopback(server), options);
}

interface TicketState {
  readonly id: number;
  readonly subject: string;
  readonly existingAttachmentBytes: number;
  readonly createdAt: string;
  readonly notes: FreshdeskStoredNote[];
}

type MutableRecord = { -readonly [K in keyof FreshdeskRequestRecord]: FreshdeskRequestRecord[K] };

interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: MutableRecord;
}

interface Waiter {
  readonly ticketId: number;
  readonly count: number;
  readonly resolve: (notes: readonly FreshdeskStoredNote[]) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** What a note request carried, before validation. Absent keys were not sent. */
interface RawNoteFields {
  body?: unknown;
  private?: unknown;
  incoming?: unknown;
  user_id?: unknown;
  notify_emails?: unknown;
}

interface ReceivedFile {
  readonly name: string;
  readonly contentType: string;
  size: number;
  /** Streaming digest, only when the bytes are not retained (else it is computed on demand). */
  readonly hash: Hash | null;
  chunks: Buffer[];
}

interface ReadNote {
  readonly fields: RawNoteFields;
  readonly files: readonly ReceivedFile[];
  readonly errors: FreshdeskFieldError[];
  /** Set when the body was not even parseable: answered as is. */
  readonly refusal?: { readonly status: number; readonly body: unknown };
}

class FreshdeskDoubleServer implements FreshdeskDouble {
  readonly url: string;
  readonly apiKey: string;
  readonly #server: Server;
  readonly #tickets = new Map<number, TicketState>();
  readonly #requests: MutableRecord[] = [];
  readonly #faultQueue: FreshdeskFaultKind[] = [];
  readonly #hangs = new Set<NodeJS.Timeout>();
  readonly #waiters = new Set<Waiter>();
  readonly #attachments = new Map<number, FreshdeskStoredAttachment>();
  readonly #hangMs: number;
  readonly #random: () => number;
  readonly #retainBytes: boolean;
  readonly #limitBytes: number;
  readonly #agentId: number;
  #faults: FreshdeskFaultSettings | null;
  #latencyMs: number;
  #rateLimitedLeft = 0;
  #retryAfterSeconds = 0;
  #seq = 0;
  #nextNoteId = 43_000_000_001;
  #nextAttachmentId = 43_100_000_001;
  #stopped: Promise<void> | undefined;

  constructor(server: Server, url: string, options: FreshdeskDoubleOptions) {
    this.#server = server;
    this.url = url;
    this.apiKey = options.apiKey ?? FRESHDESK_DOUBLE_API_KEY;
    this.#latencyMs = options.latencyMs ?? 0;
    this.#faults = options.faults ?? null;
    this.#hangMs = options.hangMs ?? 30_000;
    this.#random = options.seed === undefined ? Math.random : seededRandom(options.seed);
    this.#retainBytes = options.retainAttachmentBytes ?? true;
    this.#limitBytes = options.ticketAttachmentLimitBytes ?? FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES;
    this.#agentId = options.agentId ?? 43_000_000_100;
    for (const ticket of options.tickets ?? []) this.addTicket(ticket);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res));
  }

  get requests(): readonly FreshdeskRequestRecord[] {
    return this.#requests;
  }

  notes(ticketId: number): readonly FreshdeskStoredNote[] {
    return [...(this.#tickets.get(ticketId)?.notes ?? [])];
  }

  ticketAttachmentBytes(ticketId: number): number {
    const ticket = this.#tickets.get(ticketId);
    return ticket === undefined ? 0 : attachmentBytesOf(ticket);
  }

  addTicket(seed: FreshdeskTicketSeed): void {
    if (!Number.isSafeInteger(seed.id) || seed.id <= 0)
      throw new Error(`ticket id must be a positive integer`);
    if (this.#tickets.has(seed.id)) throw new Error(`ticket ${seed.id} exists already`);
    this.#tickets.set(seed.id, {
      id: seed.id,
      subject: seed.subject ?? `Ticket ${seed.id}`,
      existingAttachmentBytes: seed.existingAttachmentBytes ?? 0,
      createdAt: timestamp(),
      notes: [],
    });
  }

  waitForNotes(ticketId: number, count: number, timeoutMs = 10_000): Promise<readonly FreshdeskStoredNote[]> {
    const current = this.notes(ticketId);
    if (current.length >= count) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        ticketId,
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          const have = this.notes(ticketId).length;
          reject(new Error(`ticket ${ticketId}: ${have} of ${count} notes after ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  failNext(count: number, kind: FreshdeskFaultKind): void {
    for (let i = 0; i < count; i++) this.#faultQueue.push(kind);
  }

  rateLimit(count: number, retryAfterSeconds: number): void {
    this.#rateLimitedLeft = count;
    this.#retryAfterSeconds = retryAfterSeconds;
  }

  setFaults(settings: FreshdeskFaultSettings | null): void {
    if (settings !== null && !(settings.probability >= 0 && settings.probability <= 1)) {
      throw new Error('fault probability must be within [0, 1]');
    }
    this.#faults = settings;
  }

  setLatency(ms: number): void {
    this.#latencyMs = ms;
  }

  clearFaults(): void {
    this.#faultQueue.length = 0;
    this.#rateLimitedLeft = 0;
    this.#faults = null;
    this.#latencyMs = 0;
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      for (const timer of this.#hangs) clearTimeout(timer);
      this.#hangs.clear();
      for (const waiter of this.#waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('the Freshdesk double stopped'));
      }
      this.#waiters.clear();
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#server.closeAllConnections();
      await closed;
    })();
    return this.#stopped;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const record: MutableRecord = {
      seq: ++this.#seq,
      method: req.method ?? 'GET',
      path,
      ticketId: ticketIdIn(path),
      receivedAt: now(),
      finishedAt: null,
      status: null,
      fault: null,
      noteId: null,
      error: null,
    };
    const exchange: Exchange = { req, res, record };
    try {
      if (path.startsWith('/__double/')) {
        await this.#serveDoubleRoute(exchange, path);
        return;
      }
      this.#requests.push(record);
      if (this.#latencyMs > 0) await delay(this.#latencyMs);
      const fault = this.#takeFault();
      if (fault !== undefined) {
        record.fault = fault;
        if (fault !== 'lost-response') {
          await this.#injectFault(exchange, fault);
          return;
        }
      }
      if (!this.#authorized(req)) {
        await this.#reply(exchange, 401, invalidCredentials, { error: 'invalid credentials' });
        return;
      }
      if (this.#rateLimitedLeft > 0) {
        this.#rateLimitedLeft--;
        record.fault ??= 'rate-limit';
        await this.#reply(
          exchange,
          429,
          { message: 'You have exceeded the limit of requests per hour' },
          {
            headers: { 'retry-after': String(this.#retryAfterSeconds), 'x-ratelimit-remaining': '0' },
            error: 'rate limited',
          },
        );
        return;
      }
      await this.#route(exchange, path);
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      if (!res.headersSent && !res.destroyed && !req.socket.destroyed) {
        await this.#reply(exchange, 500, internalError, { drain: false });
      } else {
        req.socket.destroy();
      }
    } finally {
      record.finishedAt ??= now();
    }
  }

  async #route(exchange: Exchange, path: string): Promise<void> {
    const match = /^\/api\/v2\/tickets\/(\d+)(\/notes|\/conversations)?$/.exec(path);
    const method = exchange.record.method;
    if (match === null) {
      await this.#reply(exchange, 404, undefined, { error: 'no such route' });
      return;
    }
    const ticket = this.#tickets.get(Number(match[1]));
    const allowed = match[2] === '/notes' ? 'POST' : 'GET';
    if (method !== allowed) {
      await this.#reply(
        exchange,
        405,
        {
          code: 'method_not_allowed',
          message: `${method} method is not allowed. It should be one of these method(s): ${allowed}`,
        },
        { headers: { allow: allowed }, error: 'method not allowed' },
      );
      return;
    }
    if (ticket === undefined) {
      await this.#reply(exchange, 404, undefined, { error: `no ticket ${match[1]}` });
      return;
    }
    if (match[2] === '/notes') await this.#createNote(exchange, ticket);
    else if (match[2] === '/conversations') {
      await this.#reply(
        exchange,
        200,
        ticket.notes.map((note) => note.json),
      );
    } else await this.#reply(exchange, 200, this.#ticketJson(ticket));
  }

  async #createNote(exchange: Exchange, ticket: TicketState): Promise<void> {
    const contentType = exchange.req.headers['content-type'] ?? '';
    const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    let read: ReadNote;
    if (mediaType === 'multipart/form-data') {
      const boundary = multipartBoundary(contentType);
      if (boundary === undefined) {
        await this.#reply(
          exchange,
          400,
          { code: 'invalid_multipart', message: 'multipart/form-data needs a boundary parameter' },
          { error: 'multipart without boundary' },
        );
        return;
      }
      read = await this.#readMultipart(exchange.req, boundary, ticket);
    } else if (mediaType === 'application/json') {
      read = await readJsonNote(exchange.req);
    } else {
      await this.#reply(
        exchange,
        415,
        {
          code: 'invalid_content_type',
          message: `Content-Type header is set to ${mediaType || 'nothing'}. It should be set to application/json or multipart/form-data`,
        },
        { error: `unsupported content type ${JSON.stringify(mediaType)}` },
      );
      return;
    }
    if (read.refusal !== undefined) {
      await this.#reply(exchange, read.refusal.status, read.refusal.body, {
        drain: false,
        error: JSON.stringify(read.refusal.body),
      });
      return;
    }

    const errors = [...read.errors, ...validateNoteFields(read.fields, mediaType === 'multipart/form-data')];
    const newBytes = read.files.reduce((sum, file) => sum + file.size, 0);
    const total = attachmentBytesOf(ticket) + newBytes;
    if (newBytes > 0 && total > this.#limitBytes) {
      errors.push(fieldErrors.tooLarge('attachments', this.#limitBytes, total));
    }
    if (errors.length > 0) {
      await this.#reply(exchange, 400, validationFailed(errors), {
        drain: false,
        error: JSON.stringify(errors),
      });
      return;
    }

    const note = this.#storeNote(ticket, read);
    exchange.record.noteId = note.id;
    await this.#reply(exchange, 201, note.json, {
      drain: false,
      headers: { location: `${this.url}/api/v2/conversations/${note.id}` },
    });
  }

  /**
   * Streams the multipart body: each attachment's bytes are kept as the chunks that arrived (and
   * hashed on the way when they are not kept); once the ticket's cap is exceeded, kept chunks are dropped and the rest of
   * the body is only counted, so an over-size request is never held.
   */
  async #readMultipart(req: IncomingMessage, boundary: string, ticket: TicketState): Promise<ReadNote> {
    const fields: RawNoteFields & { notify_emails?: string[] } = {};
    const errors: FreshdeskFieldError[] = [];
    const files: ReceivedFile[] = [];
    const existing = attachmentBytesOf(ticket);
    let fileBytes = 0;
    let overCap = false;
    const discard: PartSink = { data: () => {}, end: () => {} };

    const onPart = (part: PartInfo): PartSink => {
      if (part.name === 'attachments[]') {
        if (part.filename === undefined || part.filename === '' || part.contentType === undefined) {
          errors.push(fieldErrors.notAFile('attachments'));
          return discard;
        }
        const file: ReceivedFile = {
          name: part.filename,
          contentType: part.contentType,
          size: 0,
          hash: this.#retainBytes ? null : createHash('sha256'),
          chunks: [],
        };
        files.push(file);
        return {
          data: (chunk) => {
            file.size += chunk.length;
            fileBytes += chunk.length;
            file.hash?.update(chunk);
            if (!overCap && existing + fileBytes > this.#limitBytes) {
              overCap = true;
              for (const received of files) received.chunks = [];
            }
            if (!overCap && this.#retainBytes) file.chunks.push(chunk);
          },
          end: () => {},
        };
      }
      if (part.name === 'attachments') {
        errors.push(
          fieldErrors.type('attachments', part.filename === undefined ? 'String' : 'File', 'Array'),
        );
        return discard;
      }
      const known = ['body', 'private', 'incoming', 'user_id', 'notify_emails[]'];
      if (!known.includes(part.name) || part.filename !== undefined) {
        errors.push(fieldErrors.unexpected(part.name.replace(/\[\]$/, '')));
        return discard;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      return {
        data: (chunk) => {
          size += chunk.length;
          if (size <= MAX_FIELD_BYTES) chunks.push(chunk);
        },
        end: () => {
          if (size > MAX_FIELD_BYTES) {
            errors.push({
              field: part.name,
              message: `It should not be larger than ${humanSize(MAX_FIELD_BYTES)}`,
              code: 'invalid_value',
            });
            return;
          }
          const value = Buffer.concat(chunks).toString('utf8');
          if (part.name === 'notify_emails[]')
            fields.notify_emails = [...(fields.notify_emails ?? []), value];
          else fields[part.name as 'body' | 'private' | 'incoming' | 'user_id'] = value;
        },
      };
    };

    const parser = new MultipartParser(boundary, onPart);
    let malformed: MultipartError | undefined;
    // Never leave this loop early: that would destroy the request and the reply with it.
    for await (const chunk of req) {
      if (malformed !== undefined) continue;
      try {
        parser.write(chunk as Buffer);
      } catch (error) {
        if (!(error instanceof MultipartError)) throw error;
        malformed = error;
      }
    }
    if (malformed === undefined) {
      try {
        parser.end();
      } catch (error) {
        if (!(error instanceof MultipartError)) throw error;
        malformed = error;
      }
    }
    if (malformed !== undefined) {
      return {
        fields,
        files: [],
        errors,
        refusal: { status: 400, body: { code: 'invalid_multipart', message: malformed.message } },
      };
    }
    return { fields, files, errors };
  }

  #storeNote(ticket: TicketState, read: ReadNote): FreshdeskStoredNote {
    const id = this.#nextNoteId++;
    const createdAt = timestamp();
    const attachments = read.files.map((file): FreshdeskStoredAttachment => {
      const bytes = this.#retainBytes ? Buffer.concat(file.chunks) : null;
      const streamed = file.hash?.digest('hex');
      let digest: string | undefined;
      const attachment: FreshdeskStoredAttachment = {
        id: this.#nextAttachmentId++,
        name: file.name,
        contentType: file.contentType,
        size: file.size,
        bytes,
        get sha256(): string {
          digest ??=
            streamed ??
            createHash('sha256')
              .update(bytes ?? Buffer.alloc(0))
              .digest('hex');
          return digest;
        },
      };
      file.chunks = [];
      this.#attachments.set(attachment.id, attachment);
      return attachment;
    });
    const fields = read.fields;
    const body = fields.body as string;
    // Notes are private unless said otherwise (Freshdesk: "private: true by default").
    const isPrivate =
      fields.private === undefined ? true : fields.private === true || fields.private === 'true';
    const incoming = fields.incoming === true || fields.incoming === 'true';
    const notifyEmails = (fields.notify_emails as string[] | undefined) ?? [];
    const userId = fields.user_id === undefined ? this.#agentId : Number(fields.user_id);
    const json: FreshdeskNoteJson = {
      id,
      ticket_id: ticket.id,
      body,
      body_text: htmlToText(body),
      private: isPrivate,
      incoming,
      source: 2,
      user_id: userId,
      support_email: null,
      notified_to: notifyEmails,
      attachments: attachments.map((attachment) => ({
        id: attachment.id,
        name: attachment.name,
        content_type: attachment.contentType,
        size: attachment.size,
        attachment_url: `${this.url}/__double/attachments/${attachment.id}`,
        created_at: createdAt,
        updated_at: createdAt,
      })),
      created_at: createdAt,
      updated_at: createdAt,
    };
    const note: FreshdeskStoredNote = {
      id,
      ticketId: ticket.id,
      body,
      private: isPrivate,
      incoming,
      userId,
      notifyEmails,
      attachments,
      storedAt: now(),
      json,
    };
    ticket.notes.push(note);
    for (const waiter of this.#waiters) {
      if (waiter.ticketId === ticket.id && ticket.notes.length >= waiter.count) {
        clearTimeout(waiter.timer);
        this.#waiters.delete(waiter);
        waiter.resolve([...ticket.notes]);
      }
    }
    return note;
  }

  #ticketJson(ticket: TicketState): Record<string, unknown> {
    return {
      id: ticket.id,
      subject: ticket.subject,
      description: `<div>${ticket.subject}</div>`,
      description_text: ticket.subject,
      status: 2,
      priority: 1,
      source: 1,
      attachments: [],
      created_at: ticket.createdAt,
      updated_at: ticket.createdAt,
    };
  }

  /** Stand-in for the pre-signed URLs Freshdesk hands out: no auth, no faults. */
  async #serveDoubleRoute(exchange: Exchange, path: string): Promise<void> {
    const match = /^\/__double\/attachments\/(\d+)$/.exec(path);
    const attachment = match === null ? undefined : this.#attachments.get(Number(match[1]));
    await drain(exchange.req);
    if (attachment?.bytes == null || exchange.record.method !== 'GET') {
      exchange.res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    exchange.res
      .writeHead(200, { 'content-type': attachment.contentType, 'content-length': attachment.size })
      .end(attachment.bytes);
  }

  #authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (header === undefined) return false;
    const [scheme, credentials] = header.split(' ');
    if (scheme?.toLowerCase() !== 'basic' || credentials === undefined) return false;
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    return user === this.apiKey;
  }

  #takeFault(): FreshdeskFaultKind | undefined {
    const queued = this.#faultQueue.shift();
    if (queued !== undefined) return queued;
    const faults = this.#faults;
    if (faults === null || faults.probability <= 0 || this.#random() >= faults.probability) return undefined;
    const kinds = faults.kinds ?? FRESHDESK_DEFAULT_FAULT_KINDS;
    return kinds[Math.floor(this.#random() * kinds.length)];
  }

  async #injectFault(exchange: Exchange, fault: FreshdeskFaultKind): Promise<void> {
    const { req, record } = exchange;
    switch (fault) {
      case 'http500':
        await this.#reply(exchange, 500, internalError, { error: 'injected 500' });
        return;
      case 'http502':
      case 'http503': {
        const status = fault === 'http502' ? 502 : 503;
        const title = status === 502 ? '502 Bad Gateway' : '503 Service Temporarily Unavailable';
        await drain(req);
        const html = `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>\n`;
        exchange.res.writeHead(status, {
          'content-type': 'text/html',
          'content-length': Buffer.byteLength(html),
        });
        exchange.res.end(html);
        record.status = status;
        record.error = `injected ${status}`;
        return;
      }
      case 'reset':
        record.error = 'injected reset';
        req.socket.destroy();
        return;
      case 'timeout':
        record.error = `injected timeout: held ${this.#hangMs} ms, then the socket was destroyed`;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.#hangs.delete(timer);
            req.socket.destroy();
            resolve();
          }, this.#hangMs);
          this.#hangs.add(timer);
          req.socket.once('close', () => {
            clearTimeout(timer);
            this.#hangs.delete(timer);
            resolve();
          });
        });
        return;
      case 'lost-response':
        return; // handled in #reply: the request is processed, the answer never sent
    }
  }

  async #reply(
    exchange: Exchange,
    status: number,
    body: unknown,
    options: { drain?: boolean; headers?: Record<string, string>; error?: string } = {},
  ): Promise<void> {
    const { req, res, record } = exchange;
    if (options.drain ?? true) await drain(req);
    if (options.error !== undefined) record.error = options.error;
    if (record.fault === 'lost-response') {
      record.error = `injected lost response: would have answered ${status}`;
      req.socket.destroy();
      return;
    }
    const payload = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      'x-request-id': randomUUID(),
      'x-ratelimit-total': '3000',
      'x-ratelimit-remaining': '2999',
      'x-ratelimit-used-currentrequest': '1',
      ...options.headers,
    });
    res.end(payload);
    record.status = status;
  }
}

async function readJsonNote(req: IncomingMessage): Promise<ReadNote> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_JSON_BYTES) chunks.push(chunk as Buffer);
  }
  const invalidJson = {
    status: 400,
    body: { code: 'invalid_json', message: 'Request body has invalid json format' },
  };
  if (size > MAX_JSON_BYTES) return { fields: {}, files: [], errors: [], refusal: invalidJson };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return { fields: {}, files: [], errors: [], refusal: invalidJson };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { fields: {}, files: [], errors: [], refusal: invalidJson };
  }
  const fields: RawNoteFields = {};
  const errors: FreshdeskFieldError[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    switch (key) {
      case 'body':
      case 'private':
      case 'incoming':
      case 'user_id':
      case 'notify_emails':
        fields[key] = value;
        break;
      case 'attachments':
        errors.push(fieldErrors.notAFile('attachments')); // JSON cannot carry files
        break;
      default:
        errors.push(fieldErrors.unexpected(key));
    }
  }
  return { fields, files: [], errors };
}

/** Type and presence checks; multipart values arrive as strings, JSON values as themselves. */
function validateNoteFields(fields: RawNoteFields, multipart: boolean): FreshdeskFieldError[] {
  const errors: FreshdeskFieldError[] = [];
  if (fields.body === undefined) errors.push(fieldErrors.missing('body'));
  else if (typeof fields.body !== 'string')
    errors.push(fieldErrors.type('body', typeName(fields.body), 'String'));
  else if (fields.body.trim() === '') errors.push(fieldErrors.blank('body'));
  for (const key of ['private', 'incoming'] as const) {
    const value = fields[key];
    if (value === undefined) continue;
    const ok = multipart ? value === 'true' || value === 'false' : typeof value === 'boolean';
    if (!ok) errors.push(fieldErrors.type(key, typeName(value), 'Boolean'));
  }
  if (fields.user_id !== undefined) {
    const value = fields.user_id;
    const ok = multipart
      ? typeof value === 'string' && /^[1-9]\d*$/.test(value)
      : typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
    if (!ok) errors.push(fieldErrors.type('user_id', typeName(value), 'Positive Integer'));
  }
  if (fields.notify_emails !== undefined) {
    const value = fields.notify_emails;
    if (!Array.isArray(value)) errors.push(fieldErrors.type('notify_emails', typeName(value), 'Array'));
    else if (!value.every((email) => typeof email === 'string' && /^[^@\s]+@[^@\s]+$/.test(email))) {
      errors.push({
        field: 'notify_emails',
        message: "It should contain elements that are in the 'valid email address' format",
        code: 'invalid_value',
      });
    }
  }
  return errors;
}

function typeName(value: unknown): string {
  if (value === null) return 'Null';
  if (Array.isArray(value)) return 'Array';
  switch (typeof value) {
    case 'string':
      return 'String';
    case 'boolean':
      return 'Boolean';
    case 'number':
      return Number.isInteger(value) ? 'Integer' : 'Float';
    default:
      return 'Hash';
  }
}

function attachmentBytesOf(ticket: TicketState): number {
  let total = ticket.existingAttachmentBytes;
  for (const note of ticket.notes) for (const attachment of note.attachments) total += attachment.size;
  return total;
}

function ticketIdIn(path: string): number | null {
  const match = /^\/api\/v2\/tickets\/(\d+)/.exec(path);
  return match === null ? null : Number(match[1]);
}

async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  for await (const _ of req) {
    // discard
  }
}

function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|blockquote|h\d)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n')
    .trim();
}

/** Freshdesk's timestamps: ISO 8601 in UTC, whole seconds. */
function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

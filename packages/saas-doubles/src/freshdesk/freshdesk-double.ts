// A local Freshdesk double that implements the v2 API subset Uplink uses, strictly: basic auth with
// the API key, the notes endpoint with multipart (streamed) or JSON bodies, Freshdesk's validation
// envelope, and the 20 MB cap on all attachments of one ticket together. Faults (5xx, 429 with
// Retry-After, resets, held requests, lost responses, latency) are injected as every double does
// (../faults.ts).
// For tests and benchmarks only. This file is its HTTP side (routing, authentication, the order
// of faults and checks); the state is tickets.ts, reading a note note-body.ts, checking it
// note-validation.ts, the faults faults.ts.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { type DoubleChaos, type DoubleFault, FaultPlan } from '../faults.ts';
import { listenOnLoopback, seededRandom } from '../loopback.ts';
import { drain, type Exchange, type FreshdeskRequestRecord, type MutableRecord, reply } from './exchange.ts';
import { FreshdeskFaultAnswers, type FreshdeskFaultMatch } from './faults.ts';
import { fieldErrors, internalError, invalidCredentials, validationFailed } from './freshdesk-errors.ts';
import { multipartBoundary } from './multipart.ts';
import { type ReadNote, readJsonNote, readMultipartNote } from './note-body.ts';
import { validateNoteFields } from './note-validation.ts';
import {
  attachmentBytesOf,
  type FreshdeskStoredNote,
  type FreshdeskTicketSeed,
  now,
  type TicketState,
  Tickets,
} from './tickets.ts';

export const FRESHDESK_DOUBLE_API_KEY = 'freshdesk-double-api-key';
/** Freshdesk: all attachments of one ticket together at most 20 MB (Rails megabytes, 1024²). */
export const FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES = 20 * 1024 * 1024;

export interface FreshdeskDoubleOptions {
  /** The API key basic auth must carry as user name; defaults to FRESHDESK_DOUBLE_API_KEY. */
  readonly apiKey?: string;
  readonly tickets?: readonly FreshdeskTicketSeed[];
  /** Random faults and latency from the start (see setChaos). */
  readonly chaos?: DoubleChaos;
  /** Seed of the generator behind random faults and latency (default 1). */
  readonly seed?: number;
  /** Keep attachment bytes for tests to compare (default true); sizes and SHA-256 are always kept. */
  readonly retainAttachmentBytes?: boolean;
  /** Defaults to FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES. */
  readonly ticketAttachmentLimitBytes?: number;
  /** The agent the API key belongs to: the notes' `user_id`. */
  readonly agentId?: number;
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
  /** Queues faults for the next API requests that match (all when no match is given), in order. */
  injectFaults(faults: DoubleFault | readonly DoubleFault[], match?: FreshdeskFaultMatch): void;
  /** Random faults and latency for every API request without a scripted fault. */
  setChaos(chaos: DoubleChaos): void;
  /** Drops the scripted faults and the chaos. */
  clearFaults(): void;
  stop(): Promise<void>;
}

export async function startFreshdeskDouble(options: FreshdeskDoubleOptions = {}): Promise<FreshdeskDouble> {
  const server = createServer();
  return new FreshdeskDoubleServer(server, await listenOnLoopback(server), options);
}

class FreshdeskDoubleServer implements FreshdeskDouble {
  readonly url: string;
  readonly apiKey: string;
  readonly #server: Server;
  readonly #tickets: Tickets;
  readonly #faults: FaultPlan<FreshdeskFaultMatch>;
  readonly #faultAnswers = new FreshdeskFaultAnswers();
  readonly #requests: MutableRecord[] = [];
  readonly #retainBytes: boolean;
  readonly #limitBytes: number;
  #seq = 0;
  #stopped: Promise<void> | undefined;

  constructor(server: Server, url: string, options: FreshdeskDoubleOptions) {
    this.#server = server;
    this.url = url;
    this.apiKey = options.apiKey ?? FRESHDESK_DOUBLE_API_KEY;
    this.#retainBytes = options.retainAttachmentBytes ?? true;
    this.#limitBytes = options.ticketAttachmentLimitBytes ?? FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES;
    this.#tickets = new Tickets({
      url,
      retainBytes: this.#retainBytes,
      agentId: options.agentId ?? 43_000_000_100,
    });
    this.#faults = new FaultPlan('freshdesk', options.chaos ?? {}, seededRandom(options.seed ?? 1));
    for (const ticket of options.tickets ?? []) this.addTicket(ticket);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res));
  }

  get requests(): readonly FreshdeskRequestRecord[] {
    return this.#requests;
  }

  notes(ticketId: number): readonly FreshdeskStoredNote[] {
    return this.#tickets.notes(ticketId);
  }

  ticketAttachmentBytes(ticketId: number): number {
    return this.#tickets.ticketAttachmentBytes(ticketId);
  }

  addTicket(seed: FreshdeskTicketSeed): void {
    this.#tickets.addTicket(seed);
  }

  waitForNotes(ticketId: number, count: number, timeoutMs?: number): Promise<readonly FreshdeskStoredNote[]> {
    return this.#tickets.waitForNotes(ticketId, count, timeoutMs);
  }

  injectFaults(faults: DoubleFault | readonly DoubleFault[], match: FreshdeskFaultMatch = {}): void {
    this.#faults.inject(faults, match);
  }

  setChaos(chaos: DoubleChaos): void {
    this.#faults.setChaos(chaos);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#faultAnswers.stop();
      this.#tickets.stop();
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
      const latencyMs = this.#faults.latencyMs();
      if (latencyMs > 0) await delay(latencyMs);
      // Faults come before authentication, as a load balancer's or an overloaded server's would.
      const fault = this.#faults.next({ method: record.method, ticketId: record.ticketId ?? undefined });
      if (fault !== undefined) {
        record.fault = fault.type;
        if (fault.delayMs) await this.#faultAnswers.hold(exchange, fault.delayMs);
        if ('applyFirst' in fault && fault.applyFirst) {
          exchange.answerInstead = (status) => this.#faultAnswers.answer(exchange, fault, status);
        } else if (fault.type !== 'slow') {
          await this.#faultAnswers.answer(exchange, fault);
          return;
        }
      }
      if (!this.#authorized(req)) {
        await reply(exchange, 401, invalidCredentials, { error: 'invalid credentials' });
        return;
      }
      await this.#route(exchange, path);
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      if (!res.headersSent && !res.destroyed && !req.socket.destroyed) {
        await reply(exchange, 500, internalError, { drain: false });
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
      await reply(exchange, 404, undefined, { error: 'no such route' });
      return;
    }
    const ticket = this.#tickets.get(Number(match[1]));
    const allowed = match[2] === '/notes' ? 'POST' : 'GET';
    if (method !== allowed) {
      await reply(
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
      await reply(exchange, 404, undefined, { error: `no ticket ${match[1]}` });
      return;
    }
    if (match[2] === '/notes') await this.#createNote(exchange, ticket);
    else if (match[2] === '/conversations') {
      await reply(
        exchange,
        200,
        ticket.notes.map((note) => note.json),
      );
    } else await reply(exchange, 200, this.#tickets.ticketJson(ticket));
  }

  async #createNote(exchange: Exchange, ticket: TicketState): Promise<void> {
    const contentType = exchange.req.headers['content-type'] ?? '';
    const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    let read: ReadNote;
    if (mediaType === 'multipart/form-data') {
      const boundary = multipartBoundary(contentType);
      if (boundary === undefined) {
        await reply(
          exchange,
          400,
          { code: 'invalid_multipart', message: 'multipart/form-data needs a boundary parameter' },
          { error: 'multipart without boundary' },
        );
        return;
      }
      read = await readMultipartNote(exchange.req, boundary, {
        existingBytes: attachmentBytesOf(ticket),
        limitBytes: this.#limitBytes,
        retainBytes: this.#retainBytes,
      });
    } else if (mediaType === 'application/json') {
      read = await readJsonNote(exchange.req);
    } else {
      await reply(
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
      await reply(exchange, read.refusal.status, read.refusal.body, {
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
      await reply(exchange, 400, validationFailed(errors), {
        drain: false,
        error: JSON.stringify(errors),
      });
      return;
    }

    const note = this.#tickets.store(ticket, read);
    exchange.record.noteId = note.id;
    await reply(exchange, 201, note.json, {
      drain: false,
      headers: { location: `${this.url}/api/v2/conversations/${note.id}` },
    });
  }

  async #serveDoubleRoute(exchange: Exchange, path: string): Promise<void> {
    const match = /^\/__double\/attachments\/(\d+)$/.exec(path);
    const attachment = match === null ? undefined : this.#tickets.attachment(Number(match[1]));
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
}

function ticketIdIn(path: string): number | null {
  const match = /^\/api\/v2\/tickets\/(\d+)/.exec(path);
  return match === null ? null : Number(match[1]);
}

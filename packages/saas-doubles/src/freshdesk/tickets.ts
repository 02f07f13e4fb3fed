// The Freshdesk double's state: tickets, the notes stored on them with their attachments, and the
// tests waiting for notes. What arrives over HTTP is parsed (note-body.ts) and validated
// (note-validation.ts) before it is stored here.
import { createHash } from 'node:crypto';
import type { ReadNote } from './note-body.ts';

export interface FreshdeskTicketSeed {
  readonly id: number;
  readonly subject?: string;
  /** Bytes of attachments the ticket already holds (they count towards the 20 MB cap). */
  readonly existingAttachmentBytes?: number;
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

export interface TicketState {
  readonly id: number;
  readonly subject: string;
  readonly existingAttachmentBytes: number;
  readonly createdAt: string;
  readonly notes: FreshdeskStoredNote[];
}

interface Waiter {
  readonly ticketId: number;
  readonly count: number;
  readonly resolve: (notes: readonly FreshdeskStoredNote[]) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class Tickets {
  readonly #tickets = new Map<number, TicketState>();
  readonly #attachments = new Map<number, FreshdeskStoredAttachment>();
  readonly #waiters = new Set<Waiter>();
  /** The double's base URL: attachment URLs point at it. */
  readonly #url: string;
  readonly #retainBytes: boolean;
  readonly #agentId: number;
  #nextNoteId = 43_000_000_001;
  #nextAttachmentId = 43_100_000_001;

  constructor(options: { url: string; retainBytes: boolean; agentId: number }) {
    this.#url = options.url;
    this.#retainBytes = options.retainBytes;
    this.#agentId = options.agentId;
  }

  get(ticketId: number): TicketState | undefined {
    return this.#tickets.get(ticketId);
  }

  attachment(id: number): FreshdeskStoredAttachment | undefined {
    return this.#attachments.get(id);
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

  /** Rejects every waiter: the double stopped. */
  stop(): void {
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('the Freshdesk double stopped'));
    }
    this.#waiters.clear();
  }

  /** Stores a note that passed validation, with its attachments, and wakes whoever waits for it. */
  store(ticket: TicketState, read: ReadNote): FreshdeskStoredNote {
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
        attachment_url: `${this.#url}/__double/attachments/${attachment.id}`,
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

  /** The ticket as `GET /api/v2/tickets/{id}` answers it. */
  ticketJson(ticket: TicketState): Record<string, unknown> {
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
}

export function attachmentBytesOf(ticket: TicketState): number {
  let total = ticket.existingAttachmentBytes;
  for (const note of ticket.notes) for (const attachment of note.attachments) total += attachment.size;
  return total;
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

/** Milliseconds since the epoch, sub-millisecond: the request log's and the notes' clock. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

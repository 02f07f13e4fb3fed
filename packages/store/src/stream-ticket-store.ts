import type { Actor, Role, TicketRef } from '@uplink/contracts';
import { hashSecret, newSecret } from '@uplink/kit';

/** Stream tickets are recognisable in logs and support requests by this prefix. */
export const STREAM_TICKET_PREFIX = 'ust_';

/**
 * A stream ticket: one tenant's permission to open one ticket's live links stream once, for a
 * minute. Browsers' EventSource cannot send headers, so the stream's credential has to travel in
 * the URL, where proxies log it: a ticket is what may land there, never an API key or a session.
 * Stored by the token's SHA-256 (`_id`); consuming it deletes it.
 */
export type StreamTicketDocument = {
  _id: string;
  tenantId: string;
  /** The helpdesk ticket whose links stream this ticket opens; no other stream. */
  ticket: TicketRef;
  /** Who asked for the ticket: the stream it opens runs as them. */
  role: Role;
  actor: Actor;
  /**
   * The SHA-256 of the credential that asked for it (the agent session or API key, as their
   * stores key them) and which it was: the stream checks it still works when the ticket is used
   * and while the stream is open. Tickets stored before this have neither and open nothing.
   */
  credentialHash: string;
  sessionId?: string;
  keyId?: string;
  createdAt: Date;
  expiresAt: Date;
};

export type NewStreamTicket = {
  tenantId: string;
  ticket: TicketRef;
  role: Role;
  actor: Actor;
  credentialHash: string;
  sessionId?: string | undefined;
  keyId?: string | undefined;
  ttlMs: number;
  now: Date;
};

/** A new stream ticket: the token (returned once) and the document stored by its hash. */
export function newStreamTicket(input: NewStreamTicket): { token: string; document: StreamTicketDocument } {
  const token = `${STREAM_TICKET_PREFIX}${newSecret()}`;
  return {
    token,
    document: {
      _id: hashSecret(token),
      tenantId: input.tenantId,
      ticket: { provider: input.ticket.provider, id: input.ticket.id },
      role: input.role,
      actor: input.actor,
      credentialHash: input.credentialHash,
      ...(input.sessionId !== undefined ? { sessionId: input.sessionId } : {}),
      ...(input.keyId !== undefined ? { keyId: input.keyId } : {}),
      createdAt: input.now,
      expiresAt: new Date(input.now.getTime() + input.ttlMs),
    },
  };
}

/** What a ticket taken from the store opens at `now`: itself while unexpired, nothing after. */
export function usableAt(ticket: StreamTicketDocument | null, now: Date): StreamTicketDocument | null {
  return ticket && ticket.expiresAt > now ? ticket : null;
}

/**
 * Stream tickets: the store port for them. Adapters: MongoStreamTicketStore (production) and
 * the embedded SQLite one.
 */
export interface StreamTicketStore {
  ensureIndexes(): Promise<void>;
  /** A new ticket valid `ttlMs` from `now`; the token is returned once, stored as its SHA-256. */
  create(input: NewStreamTicket): Promise<{ token: string; expiresAt: Date }>;
  /**
   * Takes the ticket with this token hash (kit's hashSecret) out of the store in one atomic step
   * and returns it when it was still valid at `now`. Of concurrent calls with one token, at most
   * one gets the ticket; every later call, and any call for an expired or unknown token, gets null.
   */
  consume(tokenHash: string, now: Date): Promise<StreamTicketDocument | null>;
  /** Deletes the tickets that expired before `before` unused; returns how many. */
  purgeExpired(before: Date): Promise<number>;
}

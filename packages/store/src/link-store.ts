import type { Actor, DeliveryTarget, LinkStatus, Provider, TicketRef } from '@uplink/contracts';
import { LINK_STATUSES } from '@uplink/contracts';
import type { OutboxStore } from '@uplink/event-bus';
import type { BlockedUploadRecord, LinkDocument, LinkFacts, NewLink, Submission } from '@uplink/links';
import type { NewAuditEntry } from './audit-log.ts';

/** A new link's audit entry, made (AuditRecorder.entry) once the link, and so its id, exists. */
export type NewLinkAudit = (link: LinkDocument) => NewAuditEntry;

/** Results of transitions carry the document as written, outbox included. */
export type RevokeResult =
  | { outcome: 'revoked'; link: LinkDocument }
  | { outcome: 'not_found' }
  | { outcome: 'not_pending'; link: LinkDocument };

/**
 * The links and their state machine: the store port for links. Every transition is one
 * atomic conditional change of one link that also appends the transition's event to the link's
 * outbox: the condition on the current status (and, for pending, `expiresAt > now`) is what makes
 * a link single-use under concurrency and makes expiry follow the server's clock (each condition
 * is in link-guards.ts, in both adapters' encodings). Adapters: MongoLinkStore (production) and
 * the embedded SQLite one; one conformance suite checks both. Reads never return the outbox.
 */
export interface LinkStore {
  /** The links' outbox, for the publisher. */
  readonly outbox: OutboxStore;
  ensureIndexes(): Promise<void>;
  /**
   * Creates a pending link; the token is returned once and only its hash is stored. With
   * `audit`, the link's audit entry is appended too: in the link's own transaction where the
   * adapter has one (SQLite), else once the link is stored (MongoDB), as AuditRecorder.record
   * would be; either way no link is answered without its entry.
   */
  create(input: NewLink, audit?: NewLinkAudit): Promise<{ link: LinkDocument; token: string }>;
  get(tenantId: string, id: string): Promise<LinkDocument | null>;
  /** Any tenant's link by id: for workers that learned the id from an event. */
  getById(id: string): Promise<LinkDocument | null>;
  /**
   * The link a customer's token opens, or null: found by the token's hash (kit's hashSecret),
   * the only form of it stored.
   */
  findByTokenHash(tokenHash: string): Promise<LinkDocument | null>;
  /** A ticket's links, newest first (ties by id, descending). */
  listByTicket(tenantId: string, ticket: TicketRef, limit: number): Promise<LinkDocument[]>;
  /** pending (and not past expiresAt) -> revoked, recording who revoked it. */
  revoke(tenantId: string, id: string, revokedBy: Actor, now: Date): Promise<RevokeResult>;
  /**
   * pending (and due) -> expired. Returns the expired document (its outbox included, so the
   * caller can publish without reading it back), or null when another replica got there first,
   * or the link was used, revoked, or is not due yet.
   */
  expire(link: LinkFacts, now: Date): Promise<LinkDocument | null>;
  /**
   * pending -> received with every verified file of the submission and the customer's message,
   * in one conditional change with one `upload.completed`. Returns the received document (outbox
   * included), or null when the link is no longer pending or has expired: of concurrent
   * submissions exactly one wins.
   */
  markReceived(link: LinkDocument, submission: Submission, now: Date): Promise<LinkDocument | null>;
  /**
   * Takes the right to post a received link's file to its ticket for `leaseMs`: only when nobody
   * holds it (never claimed, or the previous holder's lease ran out — it crashed or gave up).
   * The returned document's `delivery.attempts` counts this attempt; above one, an earlier
   * attempt may already have reached the destination. Null when the link is not `received` or
   * another attempt holds the lease.
   */
  claimDelivery(linkId: string, now: Date, leaseMs: number): Promise<LinkDocument | null>;
  /** Gives the lease back after a failed attempt, so the next redelivery may claim at once. */
  releaseDelivery(linkId: string, error: string, now: Date): Promise<void>;
  /** received -> delivered with where the agent finds the file, and `note.posted`. */
  markDelivered(link: LinkDocument, target: DeliveryTarget, now: Date): Promise<LinkDocument | null>;
  /** received -> delivery_failed with a reason a person can act on, and `note.failed`. */
  markDeliveryFailed(
    link: LinkDocument,
    destination: Provider,
    reason: string,
    now: Date,
  ): Promise<LinkDocument | null>;
  /** Whether the link was received with this upload among its files: its blob is then a delivered file. */
  hasReceived(linkId: string, uploadId: string): Promise<boolean>;
  /**
   * Queues `upload.rejected` for a customer who tried to send while the tenant does not receive
   * media: once per link, so a customer retrying does not flood the ticket. Returns the updated
   * document, or null when it was already noted (or the link is not pending).
   */
  noteRejectedAttempt(link: LinkDocument, now: Date): Promise<LinkDocument | null>;
  /**
   * Records on a pending link the file the malware scanner blocked (replacing an earlier one), and
   * queues `upload.blocked`: every blocked upload is told. Returns the updated document, or null
   * when the link is no longer pending.
   */
  noteBlockedUpload(link: LinkDocument, blocked: BlockedUploadRecord): Promise<LinkDocument | null>;
  /** Pending links due before `before`, soonest first. */
  findPendingDueBefore(before: Date, limit: number): Promise<LinkFacts[]>;
  /**
   * A tenant's links whose file is still kept and whose delivery ended — `delivered` (by
   * `deliveredAt`) or `delivery_failed` (by `deliveryFailedAt`) — before `settledBefore`, oldest
   * first (ties by id): the files the tenant's retention has run out for.
   */
  findFilesPastRetention(tenantId: string, settledBefore: Date, limit: number): Promise<LinkDocument[]>;
  /** Records that the link's file was deleted from storage; false when it already was, or there is no such link. */
  markFileDeleted(linkId: string, now: Date): Promise<boolean>;
  /**
   * How many links each stored status holds, every status present (0 when none), across
   * tenants: for the links gauge. A pending link past `expiresAt` counts as pending until
   * expiry-scheduler moves it. One aggregate query: callers should not ask often.
   */
  countByStatus(): Promise<Record<LinkStatus, number>>;
}

/** Every status at 0, for countByStatus implementations to fill. */
export function zeroStatusCounts(): Record<LinkStatus, number> {
  return Object.fromEntries(LINK_STATUSES.map((status) => [status, 0])) as Record<LinkStatus, number>;
}

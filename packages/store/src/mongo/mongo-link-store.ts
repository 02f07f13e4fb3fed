import type { Actor, DeliveryTarget, LinkStatus, Provider, TicketRef } from '@uplink/contracts';
import {
  type BlockedUploadRecord,
  effectiveStatus,
  LINK_FACTS_PROJECTION,
  type LinkDocument,
  type LinkFacts,
  linkFromStored,
  type NewLink,
  newLinkDocument,
  type StoredLinkDocument,
  type Submission,
  settledAt,
  transitionEntry,
} from '@uplink/links';
import type { Collection, Db } from 'mongodb';
import type { AuditLog } from '../audit-log.ts';
import { linkGuards } from '../link-guards.ts';
import { type LinkStore, type NewLinkAudit, type RevokeResult, zeroStatusCounts } from '../link-store.ts';
import { MongoAuditLog } from './mongo-audit-log.ts';
import { ensureOutboxIndexes, MongoOutboxStore } from './mongo-outbox-store.ts';

/** A read's document in today's shape (links received before several files held one `upload`). */
function read(stored: StoredLinkDocument | null): LinkDocument | null {
  return stored && linkFromStored(stored);
}

/**
 * LinkStore on MongoDB: one document per link in `links`, its outbox an array inside it, each
 * transition one conditional single-document update (its guard's filter, see link-guards.ts)
 * with `$push`. Every document read goes through `read`.
 */
export class MongoLinkStore implements LinkStore {
  readonly collection: Collection<StoredLinkDocument>;
  readonly outbox: MongoOutboxStore;
  readonly #audit: AuditLog;

  /** `audit` is where a new link's entry goes (MongoStore passes its own, whose queue it shares). */
  constructor(db: Db, audit: AuditLog = new MongoAuditLog(db)) {
    this.collection = db.collection<StoredLinkDocument>('links');
    this.#audit = audit;
    this.outbox = MongoOutboxStore.of(this.collection);
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ tokenHash: 1 }, { unique: true, name: 'token_hash' });
    await this.collection.createIndex(
      { tenantId: 1, 'ticket.provider': 1, 'ticket.id': 1, createdAt: -1 },
      { name: 'ticket_links' },
    );
    await this.collection.createIndex({ status: 1, expiresAt: 1 }, { name: 'pending_expiry' });
    // findFilesPastRetention: fileDeletedAt (matched on its absence) before the date keeps the
    // links whose file is already gone, the oldest, out of the range a sweep scans; _id orders ties.
    await this.collection.createIndex(
      { tenantId: 1, status: 1, fileDeletedAt: 1, deliveredAt: 1, _id: 1 },
      { name: 'delivered_files' },
    );
    await this.collection.createIndex(
      { tenantId: 1, status: 1, fileDeletedAt: 1, deliveryFailedAt: 1, _id: 1 },
      { name: 'failed_files' },
    );
    await ensureOutboxIndexes(this.collection);
  }

  /** No multi-document transactions: the audit entry is appended once the link is stored. */
  async create(input: NewLink, audit?: NewLinkAudit): Promise<{ link: LinkDocument; token: string }> {
    const created = newLinkDocument(input);
    await this.collection.insertOne(created.link);
    if (audit) await this.#audit.append(created.link.tenantId, audit(created.link));
    return created;
  }

  async get(tenantId: string, id: string): Promise<LinkDocument | null> {
    return read(await this.collection.findOne({ _id: id, tenantId }, { projection: { outbox: 0 } }));
  }

  async getById(id: string): Promise<LinkDocument | null> {
    return read(await this.collection.findOne({ _id: id }, { projection: { outbox: 0 } }));
  }

  async findByTokenHash(tokenHash: string): Promise<LinkDocument | null> {
    return read(await this.collection.findOne({ tokenHash }, { projection: { outbox: 0 } }));
  }

  async listByTicket(tenantId: string, ticket: TicketRef, limit: number): Promise<LinkDocument[]> {
    const stored = await this.collection
      .find(
        { tenantId, 'ticket.provider': ticket.provider, 'ticket.id': ticket.id },
        { projection: { outbox: 0 } },
      )
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit)
      .toArray();
    return stored.map(linkFromStored);
  }

  async revoke(tenantId: string, id: string, revokedBy: Actor, now: Date): Promise<RevokeResult> {
    const link = await this.get(tenantId, id);
    if (!link) return { outcome: 'not_found' };
    const revoked = read(
      await this.collection.findOneAndUpdate(
        { _id: id, tenantId, ...linkGuards.open.filter(now) },
        {
          $set: { status: 'revoked', revokedAt: now, revokedBy, updatedAt: now },
          $push: { outbox: transitionEntry.revoked(link, now, revokedBy) },
        },
        { returnDocument: 'after' },
      ),
    );
    if (revoked) return { outcome: 'revoked', link: revoked };
    const current = (await this.get(tenantId, id)) ?? link;
    return { outcome: 'not_pending', link: { ...current, status: effectiveStatus(current, now) } };
  }

  /**
   * pending -> expired. Returns the expired document (its outbox included, so the caller can
   * publish without reading it back), or null when another replica got there first, or the link
   * was used, revoked, or is not due yet.
   */
  async expire(link: LinkFacts, now: Date): Promise<LinkDocument | null> {
    return read(
      await this.collection.findOneAndUpdate(
        { _id: link._id, ...linkGuards.due.filter(now) },
        {
          $set: { status: 'expired', expiredAt: now, updatedAt: now },
          $push: { outbox: transitionEntry.expired(link, now) },
        },
        { returnDocument: 'after' },
      ),
    );
  }

  /**
   * pending -> received with every file of the submission and the customer's message. Returns the
   * received document (outbox included), or null when the link is no longer pending or has
   * expired: of concurrent submissions exactly one matches the filter.
   */
  async markReceived(link: LinkDocument, submission: Submission, now: Date): Promise<LinkDocument | null> {
    return read(
      await this.collection.findOneAndUpdate(
        { _id: link._id, ...linkGuards.open.filter(now) },
        {
          $set: {
            status: 'received',
            receivedAt: now,
            files: submission.files,
            ...(submission.customerMessage !== undefined
              ? { customerMessage: submission.customerMessage }
              : {}),
            updatedAt: now,
          },
          $push: { outbox: transitionEntry.received(link, submission, now) },
        },
        { returnDocument: 'after' },
      ),
    );
  }

  /**
   * Takes the right to post a received link's file to its ticket for `leaseMs`: only when nobody
   * holds it (never claimed, or the previous holder's lease ran out — it crashed or gave up).
   * The returned document's `delivery.attempts` counts this attempt; above one, an earlier
   * attempt may already have reached the destination. Null when the link is not `received` or
   * another attempt holds the lease.
   */
  async claimDelivery(linkId: string, now: Date, leaseMs: number): Promise<LinkDocument | null> {
    return read(
      await this.collection.findOneAndUpdate(
        { _id: linkId, ...linkGuards.deliveryFree.filter(now) },
        {
          $set: {
            'delivery.leaseUntil': new Date(now.getTime() + leaseMs),
            updatedAt: now,
          },
          $inc: { 'delivery.attempts': 1 },
        },
        { returnDocument: 'after' },
      ),
    );
  }

  /** Gives the lease back after a failed attempt, so the next redelivery may claim at once. */
  async releaseDelivery(linkId: string, error: string, now: Date): Promise<void> {
    await this.collection.updateOne(
      { _id: linkId, ...linkGuards.received.filter(now) },
      { $set: { 'delivery.leaseUntil': now, 'delivery.lastError': error.slice(0, 1000), updatedAt: now } },
    );
  }

  /** received -> delivered with where the agent finds the file, and `note.posted`. */
  async markDelivered(link: LinkDocument, target: DeliveryTarget, now: Date): Promise<LinkDocument | null> {
    return read(
      await this.collection.findOneAndUpdate(
        { _id: link._id, ...linkGuards.received.filter(now) },
        {
          $set: {
            status: 'delivered',
            deliveredAt: now,
            'delivery.target': target,
            updatedAt: now,
          },
          $push: {
            outbox: transitionEntry.delivered(link, target, now),
          },
        },
        { returnDocument: 'after' },
      ),
    );
  }

  /** received -> delivery_failed with a reason a person can act on, and `note.failed`. */
  async markDeliveryFailed(
    link: LinkDocument,
    destination: Provider,
    reason: string,
    now: Date,
  ): Promise<LinkDocument | null> {
    return read(
      await this.collection.findOneAndUpdate(
        { _id: link._id, ...linkGuards.received.filter(now) },
        {
          $set: {
            status: 'delivery_failed',
            deliveryFailedAt: now,
            'delivery.reason': reason.slice(0, 1000),
            updatedAt: now,
          },
          $push: {
            outbox: transitionEntry.deliveryFailed(link, destination, reason, now),
          },
        },
        { returnDocument: 'after' },
      ),
    );
  }

  /** Whether the link was received with this upload among its files: its blob is then a delivered file. */
  async hasReceived(linkId: string, uploadId: string): Promise<boolean> {
    const found = await this.collection.findOne(
      { _id: linkId, $or: [{ 'files.uploadId': uploadId }, { 'upload.uploadId': uploadId }] },
      { projection: { _id: 1 } },
    );
    return found !== null;
  }

  /**
   * Queues `upload.rejected` for a customer who tried to send while the tenant does not receive
   * media: once per link, so a customer retrying does not flood the ticket. Returns the updated
   * document, or null when it was already noted (or the link is not pending).
   */
  async noteRejectedAttempt(link: LinkDocument, now: Date): Promise<LinkDocument | null> {
    return read(
      await this.collection.findOneAndUpdate(
        { _id: link._id, ...linkGuards.rejectionUnnoted.filter(now) },
        {
          $set: { rejectionNotifiedAt: now, updatedAt: now },
          $push: { outbox: transitionEntry.rejected(link, now) },
        },
        { returnDocument: 'after' },
      ),
    );
  }

  /**
   * Records on a pending link the file the malware scanner blocked (replacing an earlier one), and
   * queues `upload.blocked`. Returns the updated document, or null when the link is no longer pending.
   */
  async noteBlockedUpload(link: LinkDocument, blocked: BlockedUploadRecord): Promise<LinkDocument | null> {
    const now = blocked.blockedAt;
    return read(
      await this.collection.findOneAndUpdate(
        { _id: link._id, ...linkGuards.open.filter(now) },
        {
          $set: { blockedUpload: blocked, updatedAt: now },
          $push: { outbox: transitionEntry.blocked(link, blocked) },
        },
        { returnDocument: 'after' },
      ),
    );
  }

  /** Pending links due before `before`, soonest first (served by the pending_expiry index). */
  findPendingDueBefore(before: Date, limit: number): Promise<LinkFacts[]> {
    return this.collection
      .find(linkGuards.due.filter(before), { projection: LINK_FACTS_PROJECTION })
      .sort({ expiresAt: 1 })
      .limit(limit)
      .toArray();
  }

  /**
   * A tenant's links whose file is still kept and whose delivery ended before `settledBefore`,
   * oldest first (ties by id). The two ways a delivery ends are dated by different fields, so
   * rather than one `$or` query sorted in memory over every candidate, each is read in the
   * order of its own index (delivered_files, failed_files), `limit` at most, and the two merged.
   */
  async findFilesPastRetention(
    tenantId: string,
    settledBefore: Date,
    limit: number,
  ): Promise<LinkDocument[]> {
    const kept = {
      tenantId,
      $or: [{ files: { $exists: true } }, { upload: { $exists: true } }],
      fileDeletedAt: { $exists: false },
    };
    const [delivered, failed] = await Promise.all([
      this.collection
        .find(
          { ...kept, status: 'delivered', deliveredAt: { $lt: settledBefore } },
          { projection: { outbox: 0 } },
        )
        .sort({ deliveredAt: 1, _id: 1 })
        .limit(limit)
        .toArray(),
      this.collection
        .find(
          { ...kept, status: 'delivery_failed', deliveryFailedAt: { $lt: settledBefore } },
          { projection: { outbox: 0 } },
        )
        .sort({ deliveryFailedAt: 1, _id: 1 })
        .limit(limit)
        .toArray(),
    ]);
    return [...delivered, ...failed].map(linkFromStored).sort(bySettledAt).slice(0, limit);
  }

  /**
   * Records that the link's file was deleted from storage: one conditional update, so of
   * concurrent callers exactly one gets true. The status stays; no event is queued.
   */
  async markFileDeleted(linkId: string, now: Date): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: linkId, ...linkGuards.fileKept.filter(now) },
      { $set: { fileDeletedAt: now, updatedAt: now } },
    );
    return result.modifiedCount === 1;
  }

  async countByStatus(): Promise<Record<LinkStatus, number>> {
    const counts = zeroStatusCounts();
    const groups = this.collection.aggregate<{ _id: LinkStatus; n: number }>([
      { $group: { _id: '$status', n: { $sum: 1 } } },
    ]);
    for await (const { _id, n } of groups) if (_id in counts) counts[_id] = n;
    return counts;
  }
}

/** Oldest settled first, ties by id. */
function bySettledAt(a: LinkDocument, b: LinkDocument): number {
  const byTime = (settledAt(a)?.getTime() ?? 0) - (settledAt(b)?.getTime() ?? 0);
  if (byTime !== 0) return byTime;
  return a._id < b._id ? -1 : a._id > b._id ? 1 : 0;
}

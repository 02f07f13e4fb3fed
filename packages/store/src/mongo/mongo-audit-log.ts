import { setTimeout as sleep } from 'node:timers/promises';
import { type Collection, type Db, type Filter, MongoBulkWriteError } from 'mongodb';
import {
  type AuditCheckpoint,
  type AuditEntry,
  type AuditFilter,
  type AuditLog,
  auditActorKey,
  type NewAuditEntry,
  nextAuditEntry,
} from '../audit-log.ts';
import { isDuplicateKeyError } from './connection.ts';

/** An entry as stored: `_id` is `<tenantId>:<seq>`, and `actorKey` is what the actor filter matches. */
type AuditDocument = AuditEntry & { _id: string; actorKey: string };
type CheckpointDocument = AuditCheckpoint & { _id: string };

/** An append waiting for its tenant's next batch, and how to answer its caller. */
type WaitingAppend = {
  entry: NewAuditEntry;
  resolve(stored: AuditEntry): void;
  reject(err: unknown): void;
};

/** How one ordered insertMany ended: the first `inserted` documents are stored, the rest are not. */
type InsertOutcome = { inserted: number; failure?: { error: unknown; collided: boolean } };

/** The server's code for a write refused by a unique index. */
const DUPLICATE_KEY = 11000;

/** The most entries one insertMany writes; more waiting appends go in the next batch. */
const MAX_BATCH = 250;

/**
 * How many times in a row a batch may find its next seq taken by another replica before its
 * appends fail. Each collision means another replica stored entries, so this bounds contention,
 * not progress; with one batch in flight per process it is bounded by the number of replicas.
 */
const MAX_COLLISIONS = 100;

/** The longest pause before re-reading the head after a collision (full jitter up to this). */
const MAX_COLLISION_BACKOFF_MS = 100;

/**
 * AuditLog on MongoDB: `audit_entries` and `audit_checkpoints`. No transaction is needed: the
 * unique `_id` (and the unique (tenantId, seq) index) lets exactly one writer store each seq.
 *
 * Appends of one tenant never compete inside a process: they wait in the tenant's queue, and one
 * writer per tenant takes everything waiting, chains it after the head and stores it with one
 * ordered insertMany, then answers each caller with its own entry. The head is read when the
 * writer starts and after a collision; otherwise it is the last entry this writer stored. A
 * collision (another replica stored that seq) stops the ordered insert at that entry: what went
 * before it is stored, the rest is chained again after the new head, after a jittered pause so
 * that replicas do not retry in lockstep. One process's appends thus cost a round trip per batch,
 * and replicas contend per batch, not per request. Entries are never updated, so nothing relies
 * on an update being atomic.
 */
export class MongoAuditLog implements AuditLog {
  readonly entries: Collection<AuditDocument>;
  readonly checkpoints: Collection<CheckpointDocument>;
  /** Per tenant with a writer running, the appends it has not taken yet. */
  readonly #waiting = new Map<string, WaitingAppend[]>();

  constructor(db: Db) {
    this.entries = db.collection<AuditDocument>('audit_entries');
    this.checkpoints = db.collection<CheckpointDocument>('audit_checkpoints');
  }

  async ensureIndexes(): Promise<void> {
    await this.entries.createIndex({ tenantId: 1, seq: 1 }, { name: 'audit_chain', unique: true });
    await this.entries.createIndex({ at: 1 }, { name: 'audit_age' });
    // A link's history without reading its tenant's whole log.
    await this.entries.createIndex({ tenantId: 1, linkId: 1, seq: -1 }, { name: 'audit_by_link' });
  }

  /** Resolves once the entry is stored (acknowledged by the server), as the caller must answer after it. */
  append(tenantId: string, entry: NewAuditEntry): Promise<AuditEntry> {
    return new Promise((resolve, reject) => {
      const waiting = this.#waiting.get(tenantId);
      if (waiting) {
        waiting.push({ entry, resolve, reject });
        return;
      }
      const queue = [{ entry, resolve, reject }];
      this.#waiting.set(tenantId, queue);
      void this.#writeWaiting(tenantId, queue);
    });
  }

  /** The tenant's writer: batch after batch until nothing waits, then it ends and forgets the head. */
  async #writeWaiting(tenantId: string, waiting: WaitingAppend[]): Promise<void> {
    // Appends made in the same turn as the first (a Promise.all) join its batch.
    await Promise.resolve();
    let head: AuditCheckpoint | null | undefined;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, MAX_BATCH);
      try {
        head = await this.#writeBatch(tenantId, head, batch);
      } catch (err) {
        // The head could not be read: the batch fails, the next one reads it again. Callers
        // answered already keep their entries (a promise settles once).
        for (const append of batch) append.reject(err);
        head = undefined;
      }
    }
    // No await since the loop's last check: no append can have joined in between.
    this.#waiting.delete(tenantId);
  }

  /**
   * Stores one batch after `head` (undefined: read it first), answering each caller as its entry
   * is stored or fails. Returns the new head, or undefined when it is not known (after a failure).
   */
  async #writeBatch(
    tenantId: string,
    knownHead: AuditCheckpoint | null | undefined,
    batch: WaitingAppend[],
  ): Promise<AuditCheckpoint | null | undefined> {
    let head = knownHead;
    let unwritten = batch;
    for (let collisions = 0; unwritten.length > 0; ) {
      if (head === undefined) head = await this.#head(tenantId);
      const chained = chainAfter(tenantId, head, unwritten);
      const { inserted, failure } = await this.#insertInOrder(chained.map(({ stored }) => stored));
      for (const { append, stored } of chained.slice(0, inserted)) {
        append.resolve(stored);
        head = { seq: stored.seq, hash: stored.hash };
        collisions = 0;
      }
      unwritten = unwritten.slice(inserted);
      if (!failure) continue;
      head = undefined;
      collisions++;
      if (!failure.collided || collisions >= MAX_COLLISIONS) {
        for (const append of unwritten) append.reject(failure.error);
        return undefined;
      }
      await sleep(Math.random() * Math.min(MAX_COLLISION_BACKOFF_MS, 2 ** collisions));
    }
    return head;
  }

  /**
   * One ordered insertMany: the server stops at the first failed document, so the documents
   * before it are stored. `collided` when that failure is a duplicate seq (another replica
   * appended). Any other failure (the network, a write concern) leaves unknown what was stored,
   * so then nothing counts as inserted and the callers are told it failed.
   */
  async #insertInOrder(chained: AuditEntry[]): Promise<InsertOutcome> {
    try {
      await this.entries.insertMany(chained.map(documentOf), { ordered: true });
      return { inserted: chained.length };
    } catch (error) {
      const [firstFailed] =
        error instanceof MongoBulkWriteError && !error.result.getWriteConcernError()
          ? [error.writeErrors].flat()
          : [];
      if (!firstFailed) return { inserted: 0, failure: { error, collided: false } };
      return {
        inserted: firstFailed.index,
        failure: { error, collided: firstFailed.code === DUPLICATE_KEY },
      };
    }
  }

  async list(tenantId: string, filter: AuditFilter): Promise<AuditEntry[]> {
    const query: Filter<AuditDocument> = { tenantId };
    if (filter.from || filter.to) {
      query.at = {
        ...(filter.from ? { $gte: filter.from.toISOString() } : {}),
        ...(filter.to ? { $lt: filter.to.toISOString() } : {}),
      };
    }
    if (filter.linkId !== undefined) query.linkId = filter.linkId;
    if (filter.actor !== undefined) query.actorKey = filter.actor;
    if (filter.action !== undefined) query.action = filter.action;
    if (filter.beforeSeq !== undefined) query.seq = { $lt: filter.beforeSeq };
    const documents = await this.entries.find(query).sort({ seq: -1 }).limit(filter.limit).toArray();
    return documents.map(entryOf);
  }

  async chain(tenantId: string, afterSeq: number, limit: number): Promise<AuditEntry[]> {
    const documents = await this.entries
      .find({ tenantId, seq: { $gt: afterSeq } })
      .sort({ seq: 1 })
      .limit(limit)
      .toArray();
    return documents.map(entryOf);
  }

  async checkpoint(tenantId: string): Promise<AuditCheckpoint | null> {
    const checkpoint = await this.checkpoints.findOne({ _id: tenantId });
    return checkpoint ? { seq: checkpoint.seq, hash: checkpoint.hash } : null;
  }

  /**
   * Per tenant: record the last entry to go as the checkpoint first, then delete up to it. A
   * prune stopped in between leaves entries at or before the checkpoint, which verification
   * skips and the next prune deletes.
   */
  async prune(before: Date): Promise<number> {
    const tenantIds = await this.entries.distinct('tenantId', { at: { $lt: before.toISOString() } });
    let deleted = 0;
    for (const tenantId of tenantIds) {
      const [last] = await this.entries
        .find({ tenantId, at: { $lt: before.toISOString() } })
        .sort({ seq: -1 })
        .limit(1)
        .toArray();
      if (!last) continue;
      try {
        await this.checkpoints.updateOne(
          { _id: tenantId, seq: { $lt: last.seq } },
          { $set: { seq: last.seq, hash: last.hash } },
          { upsert: true },
        );
      } catch (err) {
        // A later checkpoint is there already (another replica pruned further): the upsert's
        // filter missed it and its insert collided with it.
        if (!isDuplicateKeyError(err)) throw err;
      }
      const checkpoint = await this.checkpoint(tenantId);
      if (!checkpoint) continue;
      const result = await this.entries.deleteMany({ tenantId, seq: { $lte: checkpoint.seq } });
      deleted += result.deletedCount;
    }
    return deleted;
  }

  /** The tenant's last entry, else its checkpoint (every entry pruned), else null (no entry yet). */
  async #head(tenantId: string): Promise<AuditCheckpoint | null> {
    const [last] = await this.entries.find({ tenantId }).sort({ seq: -1 }).limit(1).toArray();
    return last ? { seq: last.seq, hash: last.hash } : this.checkpoint(tenantId);
  }
}

/** Each waiting append's entry as it will be stored: the first after `head`, each next after the one before. */
function chainAfter(
  tenantId: string,
  head: AuditCheckpoint | null,
  batch: WaitingAppend[],
): { append: WaitingAppend; stored: AuditEntry }[] {
  let previous = head;
  return batch.map((append) => {
    const stored = nextAuditEntry(tenantId, previous, append.entry);
    previous = { seq: stored.seq, hash: stored.hash };
    return { append, stored };
  });
}

function documentOf(entry: AuditEntry): AuditDocument {
  return { _id: `${entry.tenantId}:${entry.seq}`, ...entry, actorKey: auditActorKey(entry.actor) };
}

function entryOf(document: AuditDocument): AuditEntry {
  const { _id, actorKey, ...entry } = document;
  return entry;
}

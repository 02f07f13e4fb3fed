import type { Collection, Db, Filter } from 'mongodb';
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

/**
 * How often an append reads the head again after another append took its seq. Each retry means
 * another append succeeded, so this bounds contention, not progress: 20 appends at once on one
 * tenant need at most 20.
 */
const MAX_APPEND_ATTEMPTS = 100;

/**
 * AuditLog on MongoDB: `audit_entries` and `audit_checkpoints`. No transaction is needed: an
 * append reads the tenant's head and inserts the next seq, and the unique `_id` (and the unique
 * (tenantId, seq) index) makes exactly one of several appends that read the same head win; the
 * others read the new head and try again. Entries are never updated, so nothing relies on an
 * update being atomic.
 */
export class MongoAuditLog implements AuditLog {
  readonly entries: Collection<AuditDocument>;
  readonly checkpoints: Collection<CheckpointDocument>;

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

  async append(tenantId: string, entry: NewAuditEntry): Promise<AuditEntry> {
    for (let attempt = 1; ; attempt++) {
      const stored = nextAuditEntry(tenantId, await this.#head(tenantId), entry);
      try {
        await this.entries.insertOne({
          _id: `${tenantId}:${stored.seq}`,
          ...stored,
          actorKey: auditActorKey(stored.actor),
        });
        return stored;
      } catch (err) {
        if (!isDuplicateKeyError(err) || attempt >= MAX_APPEND_ATTEMPTS) throw err;
      }
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

function entryOf(document: AuditDocument): AuditEntry {
  const { _id, actorKey, ...entry } = document;
  return entry;
}

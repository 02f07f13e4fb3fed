import type { SQLInputValue } from 'node:sqlite';
import {
  type AuditCheckpoint,
  type AuditEntry,
  type AuditFilter,
  type AuditLog,
  auditActorKey,
  type NewAuditEntry,
  nextAuditEntry,
} from '../audit-log.ts';
import type { SqliteDatabase } from './database.ts';

/**
 * AuditLog on SQLite: `audit_entries` and `audit_checkpoints`. An append reads the tenant's head
 * and inserts after it in one write transaction, which no other writer (process or not) can
 * interleave with, so concurrent appends always form one chain.
 */
export class SqliteAuditLog implements AuditLog {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  /** The schema is created when the database is opened. */
  async ensureIndexes(): Promise<void> {}

  async append(tenantId: string, entry: NewAuditEntry): Promise<AuditEntry> {
    return this.#db.write(() => this.appendWithin(tenantId, entry));
  }

  /**
   * Appends inside a write already running (SqliteDatabase.write's work), so that the entry is
   * stored in the same transaction as the action it records.
   */
  appendWithin(tenantId: string, entry: NewAuditEntry): AuditEntry {
    const stored = nextAuditEntry(tenantId, this.#head(tenantId), entry);
    this.#db.run(
      'INSERT INTO audit_entries (tenant_id, seq, at, action, actor_key, link_id, doc) VALUES (?, ?, ?, ?, ?, ?, ?)',
      tenantId,
      stored.seq,
      stored.at,
      stored.action,
      auditActorKey(stored.actor),
      stored.linkId ?? null,
      JSON.stringify(stored),
    );
    return stored;
  }

  async list(tenantId: string, filter: AuditFilter): Promise<AuditEntry[]> {
    const where = ['tenant_id = ?'];
    const params: SQLInputValue[] = [tenantId];
    const add = (condition: string, value: SQLInputValue | undefined) => {
      if (value === undefined) return;
      where.push(condition);
      params.push(value);
    };
    add('at >= ?', filter.from?.toISOString());
    add('at < ?', filter.to?.toISOString());
    add('link_id = ?', filter.linkId);
    add('actor_key = ?', filter.actor);
    add('action = ?', filter.action);
    add('seq < ?', filter.beforeSeq);
    return this.#db
      .all(
        `SELECT doc FROM audit_entries WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`,
        ...params,
        filter.limit,
      )
      .map(entryOf);
  }

  async chain(tenantId: string, afterSeq: number, limit: number): Promise<AuditEntry[]> {
    return this.#db
      .all(
        'SELECT doc FROM audit_entries WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?',
        tenantId,
        afterSeq,
        limit,
      )
      .map(entryOf);
  }

  async checkpoint(tenantId: string): Promise<AuditCheckpoint | null> {
    return this.#checkpoint(tenantId);
  }

  async prune(before: Date): Promise<number> {
    return this.#db.write(() => {
      // Per tenant, the newest entry older than `before`; it and everything before it go.
      const lasts = this.#db.all(
        `SELECT tenant_id, max(seq) AS seq FROM audit_entries WHERE at < ? GROUP BY tenant_id`,
        before.toISOString(),
      );
      let deleted = 0;
      for (const { tenant_id: tenantId, seq } of lasts) {
        const last = this.#db.get(
          'SELECT doc FROM audit_entries WHERE tenant_id = ? AND seq = ?',
          tenantId as string,
          Number(seq),
        );
        if (!last) continue;
        const { hash } = entryOf(last);
        this.#db.run(
          `INSERT INTO audit_checkpoints (tenant_id, seq, hash) VALUES (?, ?, ?)
           ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash WHERE excluded.seq > seq`,
          tenantId as string,
          Number(seq),
          hash,
        );
        deleted += this.#db.run(
          'DELETE FROM audit_entries WHERE tenant_id = ? AND seq <= ?',
          tenantId as string,
          Number(seq),
        ).changes;
      }
      return deleted;
    });
  }

  /** The tenant's last entry, else its checkpoint (every entry pruned), else null (no entry yet). */
  #head(tenantId: string): AuditCheckpoint | null {
    const row = this.#db.get(
      "SELECT seq, json_extract(doc, '$.hash') AS hash FROM audit_entries WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1",
      tenantId,
    );
    return row ? { seq: Number(row.seq), hash: String(row.hash) } : this.#checkpoint(tenantId);
  }

  #checkpoint(tenantId: string): AuditCheckpoint | null {
    const row = this.#db.get('SELECT seq, hash FROM audit_checkpoints WHERE tenant_id = ?', tenantId);
    return row ? { seq: Number(row.seq), hash: String(row.hash) } : null;
  }
}

function entryOf(row: { doc?: unknown }): AuditEntry {
  return JSON.parse(row.doc as string) as AuditEntry;
}

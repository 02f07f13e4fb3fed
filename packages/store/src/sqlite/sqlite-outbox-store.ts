import type { OutboxDocument, OutboxEntry, OutboxStore } from '@uplink/event-bus';
import type { SqliteDatabase } from './database.ts';
import { type Columns, type DocumentTable, millis } from './document-table.ts';
import { fromJson, toJson } from './json.ts';

/**
 * The column a document table needs for its outbox's lease. The lease stays in the document too
 * (`outboxLeaseUntil`), as on MongoDB, so documents read the same from both adapters.
 */
export const outboxLeaseColumn: Columns<OutboxDocument> = {
  outbox_lease_until: (doc) => millis(doc.outboxLeaseUntil),
};

const isLeased = (doc: OutboxDocument, now: Date) =>
  doc.outboxLeaseUntil !== undefined && doc.outboxLeaseUntil.getTime() > now.getTime();

/**
 * A transactional outbox in its own table (doc_id, seq, event_id, created_at, entry): the
 * transaction that changes a document appends its event here (`append`), so both happen or
 * neither. Entries are read back in `seq` order, the order they were added.
 */
export class SqliteOutboxStore<T extends OutboxDocument> implements OutboxStore {
  readonly name: string;
  readonly #db: SqliteDatabase;
  readonly #documents: DocumentTable<T>;
  readonly #table: string;

  /** `table` holds the entries of `documents`, whose table has the outboxLeaseColumn. */
  constructor(db: SqliteDatabase, documents: DocumentTable<T>, table: string) {
    this.#db = db;
    this.#documents = documents;
    this.#table = table;
    this.name = documents.name;
  }

  /** Adds an entry to a document's outbox; call it inside the transaction that makes the transition. */
  append(docId: string, entry: OutboxEntry): void {
    this.#db.run(
      `INSERT INTO ${this.#table} (doc_id, event_id, created_at, entry) VALUES (?, ?, ?, ?)`,
      docId,
      entry.eventId,
      entry.createdAt.getTime(),
      toJson(entry),
    );
  }

  /** The document's entries, oldest first, read synchronously (so inside a transaction too). */
  read(docId: string): OutboxEntry[] {
    return this.#db
      .all(`SELECT entry FROM ${this.#table} WHERE doc_id = ? ORDER BY seq`, docId)
      .map((row) => fromJson<OutboxEntry>(row.entry as string));
  }

  async entries(docId: string): Promise<OutboxEntry[]> {
    return this.read(docId);
  }

  /** Each transition's event id is unique within its document, so it identifies the entry read. */
  async remove(published: { docId: string; entry: OutboxEntry }[]): Promise<void> {
    if (published.length === 0) return;
    await this.#db.write(() => {
      for (const { docId, entry } of published) {
        this.#db.run(`DELETE FROM ${this.#table} WHERE doc_id = ? AND event_id = ?`, docId, entry.eventId);
      }
    });
  }

  async staleDocuments(stale: Date, now: Date, limit: number): Promise<string[]> {
    const rows = this.#db.all(
      `SELECT o.doc_id FROM ${this.#table} o JOIN ${this.#documents.name} d ON d.id = o.doc_id
       WHERE o.created_at <= ? AND (d.outbox_lease_until IS NULL OR d.outbox_lease_until <= ?)
       GROUP BY o.doc_id ORDER BY MIN(o.seq) LIMIT ?`,
      stale.getTime(),
      now.getTime(),
      limit,
    );
    return rows.map((row) => row.doc_id as string);
  }

  async claim(docId: string, now: Date, until: Date): Promise<boolean> {
    const claimed = await this.#db.write(() =>
      this.#documents.update(docId, (doc) =>
        isLeased(doc, now) ? null : { ...doc, outboxLeaseUntil: until },
      ),
    );
    return claimed !== null;
  }

  async release(docId: string, until: Date): Promise<void> {
    await this.#db.write(() =>
      this.#documents.update(docId, (doc) => {
        if (doc.outboxLeaseUntil?.getTime() !== until.getTime()) return null;
        const { outboxLeaseUntil: _released, ...unleased } = doc;
        return unleased as T;
      }),
    );
  }
}

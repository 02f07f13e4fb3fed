import type { SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase } from './database.ts';
import { fromJson, toJson } from './json.ts';

/** The plain columns of a document table, each computed from the document on every write. */
export type Columns<T> = Record<string, (doc: T) => SQLInputValue>;

/** A time column's value: milliseconds since the epoch, or NULL when the field is absent. */
export function millis(date: Date | undefined): number | null {
  return date === undefined ? null : date.getTime();
}

/**
 * A table holding one JSON document per row (`doc`) beside plain, indexable columns derived from
 * it. The columns are recomputed from the document on every write, so they cannot drift from it;
 * queries filter on columns and return documents.
 */
export class DocumentTable<T extends { _id: string }> {
  readonly name: string;
  readonly #db: SqliteDatabase;
  readonly #columns: [string, (doc: T) => SQLInputValue][];
  readonly #insertSql: string;
  readonly #updateSql: string;
  readonly #fromStored: (stored: T) => T;

  /** `fromStored` reads a stored document in today's shape, where older ones were stored otherwise. */
  constructor(
    db: SqliteDatabase,
    name: string,
    columns: Columns<T>,
    fromStored: (stored: T) => T = (doc) => doc,
  ) {
    this.#db = db;
    this.name = name;
    this.#fromStored = fromStored;
    this.#columns = Object.entries(columns);
    const written = ['doc', ...this.#columns.map(([column]) => column)];
    this.#insertSql = `INSERT INTO ${name} (id, ${written.join(', ')}) VALUES (?${', ?'.repeat(written.length)})`;
    this.#updateSql = `UPDATE ${name} SET ${written.map((column) => `${column} = ?`).join(', ')} WHERE id = ?`;
  }

  /** Throws (SQLITE_CONSTRAINT) when the id or a unique column is taken, like a duplicate key. */
  insert(doc: T): void {
    this.#db.run(this.#insertSql, doc._id, toJson(doc), ...this.#values(doc));
  }

  /** Inserts unless a row with this id exists; returns whether it inserted. */
  insertIfAbsent(doc: T): boolean {
    const sql = `${this.#insertSql} ON CONFLICT (id) DO NOTHING`;
    return this.#db.run(sql, doc._id, toJson(doc), ...this.#values(doc)).changes === 1;
  }

  get(id: string): T | null {
    const row = this.#db.get(`SELECT doc FROM ${this.name} WHERE id = ?`, id);
    return row ? this.#fromStored(fromJson<T>(row.doc as string)) : null;
  }

  /** Writes the document over the stored one with the same id. */
  replace(doc: T): void {
    this.#db.run(this.#updateSql, toJson(doc), ...this.#values(doc), doc._id);
  }

  /**
   * A conditional update: in one write transaction (or the caller's), reads the document and
   * writes what `change` makes of it. `change` returns null to leave it as it is (its guard
   * failed); the result is null then, and when there is no such document.
   */
  update(id: string, change: (current: T) => T | null): T | null {
    return this.#db.transaction(() => {
      const current = this.get(id);
      const next = current && change(current);
      if (!next) return null;
      this.replace(next);
      return next;
    });
  }

  /** Documents whose row matches `where` (SQL over the columns), with `rest` for ORDER BY / LIMIT. */
  find(where: string, params: SQLInputValue[], rest = ''): T[] {
    return this.#db
      .all(`SELECT doc FROM ${this.name} WHERE ${where} ${rest}`, ...params)
      .map((row) => this.#fromStored(fromJson<T>(row.doc as string)));
  }

  /** Deletes the rows matching `where`; returns how many. */
  delete(where: string, params: SQLInputValue[]): number {
    return this.#db.run(`DELETE FROM ${this.name} WHERE ${where}`, ...params).changes;
  }

  #values(doc: T): SQLInputValue[] {
    return this.#columns.map(([, value]) => value(doc));
  }
}

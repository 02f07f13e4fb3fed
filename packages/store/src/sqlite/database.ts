import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { openSqliteFile, writeTransaction } from '@uplink/kit';
import { migrate } from './schema.ts';

/**
 * How long a statement waits for another connection's write lock (another process on the same
 * file, such as the CLI) before failing with SQLITE_BUSY. The wait blocks this thread, so it is
 * kept short: writes here are single-row transactions that hold the lock for microseconds.
 */
const BUSY_TIMEOUT_MS = 5_000;

export type Row = Record<string, unknown>;

/**
 * One connection to an Uplink SQLite file, schema migrated on open. Statements are prepared
 * once and reused; `transaction` is the only way the stores write more than one row.
 */
export class SqliteDatabase {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
  }

  /** Opens (creating the file and its folder if needed) and brings the schema up to date. */
  static open(path: string): SqliteDatabase {
    const db = openSqliteFile(path, { busyTimeoutMs: BUSY_TIMEOUT_MS, foreignKeys: true });
    try {
      const database = new SqliteDatabase(path, db);
      database.transaction(() => migrate(database));
      return database;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  run(sql: string, ...params: SQLInputValue[]): { changes: number } {
    const { changes } = this.#statement(sql).run(...params);
    return { changes: Number(changes) };
  }

  get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#statement(sql).get(...params);
  }

  all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#statement(sql).all(...params);
  }

  /** Runs DDL or pragmas (several statements allowed); not cached. */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /** Runs `work` in a write transaction (see writeTransaction: synchronous, nests by joining). */
  transaction<T>(work: () => T): T {
    return writeTransaction(this.#db, work);
  }

  /** Throws when the connection cannot serve queries (closed, file gone unreadable). */
  ping(): void {
    this.get('SELECT 1');
  }

  close(): void {
    if (!this.#db.isOpen) return;
    this.#statements.clear();
    this.#db.close();
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

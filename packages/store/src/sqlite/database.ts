import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { openSqliteFile, type SyncFile, WalSync, writeTransaction } from '@uplink/kit';
import { migrate } from './schema.ts';

/**
 * How long a statement waits for another connection's write lock (another process on the same
 * file, such as the CLI) before failing with SQLITE_BUSY. The wait blocks this thread, so it is
 * kept short: writes here are single-row transactions that hold the lock for microseconds.
 */
const BUSY_TIMEOUT_MS = 5_000;

export type Row = Record<string, unknown>;

/** A write waiting for the next batch: its work, and how to answer its caller. */
type QueuedWrite = {
  work: () => unknown;
  resolve: (result: unknown) => void;
  reject: (err: unknown) => void;
};

export type SqliteDatabaseOptions = {
  /** How the -wal file is forced to the disk (WalSync's fdatasync unless given). */
  syncFile?: SyncFile;
};

/**
 * One connection to an Uplink SQLite file, schema migrated on open. Statements are prepared
 * once and reused; `write` is how the stores change the file and `transaction` how they group
 * several changes inside one.
 */
export class SqliteDatabase {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #walSync: WalSync;
  readonly #statements = new Map<string, StatementSync>();
  /** Whether a batch of writes is running its work now: the only time a change may be made. */
  #writing = false;
  /** Writes asked for since the last batch; the next turn of the event loop commits them. */
  #queued: QueuedWrite[] = [];
  /** The batch to come, which close() lets finish. */
  #committing: Promise<void> | undefined;

  private constructor(path: string, db: DatabaseSync, walSync: WalSync) {
    this.path = path;
    this.#db = db;
    this.#walSync = walSync;
  }

  /** Opens (creating the file and its folder if needed) and brings the schema up to date. */
  static open(path: string, options: SqliteDatabaseOptions = {}): SqliteDatabase {
    const db = openSqliteFile(path, { busyTimeoutMs: BUSY_TIMEOUT_MS, foreignKeys: true });
    try {
      const database = new SqliteDatabase(path, db, new WalSync(path, options));
      // Durable with the first write's sync; a migration lost to a power loss runs again.
      writeTransaction(db, () => migrate(database));
      return database;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Runs a change (INSERT, UPDATE, DELETE); only inside `write`. */
  run(sql: string, ...params: SQLInputValue[]): { changes: number } {
    this.#assertWriting();
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

  /**
   * Every change a store acknowledges goes through here, and answers once it is on the disk.
   * Group commit: the writes asked for in one turn of the event loop run together in the next
   * one, in one transaction, each in a savepoint of its own (a `work` that throws undoes only its
   * own changes and rejects only its caller), and share one COMMIT and one sync (WalSync), which
   * runs while the event loop serves others. `work` is synchronous, so a guard checked inside
   * holds at COMMIT.
   */
  write<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#queued.length === 0) {
        this.#committing = new Promise((done) =>
          setImmediate(() => {
            this.#commitQueued();
            done();
          }),
        );
      }
      this.#queued.push({ work, resolve: resolve as (result: unknown) => void, reject });
    });
  }

  #commitQueued(): void {
    const batch = this.#queued;
    this.#queued = [];
    const outcomes = new Map<QueuedWrite, { result: unknown } | { error: unknown }>();
    this.#writing = true;
    try {
      writeTransaction(this.#db, () => {
        const [only] = batch;
        // One write alone needs no savepoint: if it throws, the whole transaction rolls back.
        if (batch.length === 1 && only) outcomes.set(only, { result: only.work() });
        else for (const write of batch) outcomes.set(write, this.#inSavepoint(write.work));
      });
    } catch (err) {
      // Nothing of the batch was written: BEGIN, COMMIT or the only write failed.
      for (const write of batch) {
        const outcome = outcomes.get(write);
        write.reject(outcome && 'error' in outcome ? outcome.error : err);
      }
      return;
    } finally {
      this.#writing = false;
    }
    const written: { write: QueuedWrite; result: unknown }[] = [];
    for (const [write, outcome] of outcomes) {
      if ('error' in outcome) write.reject(outcome.error);
      else written.push({ write, result: outcome.result });
    }
    this.#walSync.durable().then(
      () => {
        for (const { write, result } of written) write.resolve(result);
      },
      (err: unknown) => {
        for (const { write } of written) write.reject(err);
      },
    );
  }

  /** Runs one write of a batch so that, if it throws, only its own changes are undone. */
  #inSavepoint(work: () => unknown): { result: unknown } | { error: unknown } {
    // Prepared (and kept) like every statement here: exec would parse them for each write.
    this.#statement('SAVEPOINT write').run();
    try {
      const result = work();
      this.#statement('RELEASE write').run();
      return { result };
    } catch (error) {
      this.#statement('ROLLBACK TO write').run();
      this.#statement('RELEASE write').run();
      return { error };
    }
  }

  /**
   * Groups changes inside `write`'s work (see writeTransaction: synchronous, nests by joining).
   * Outside `write` it throws, as `run` does, so that no change is answered before it is durable.
   */
  transaction<T>(work: () => T): T {
    this.#assertWriting();
    return writeTransaction(this.#db, work);
  }

  /** Throws when the connection cannot serve queries (closed, file gone unreadable, a failed sync). */
  ping(): void {
    this.#walSync.assertUsable();
    this.get('SELECT 1');
  }

  async close(): Promise<void> {
    await this.#committing;
    await this.#walSync.close();
    if (!this.#db.isOpen) return;
    this.#statements.clear();
    this.#db.close();
  }

  #assertWriting(): void {
    if (!this.#writing) {
      throw new Error(
        'a change to the SQLite store must go through SqliteDatabase.write, which makes it durable',
      );
    }
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

// What the two embedded SQLite files (the session store and the event bus) open and write alike,
// on Node's built-in node:sqlite.
import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/**
 * Opens `path` (creating its folder) in WAL mode, which lets readers in other processes go on
 * while one writes. `busyTimeoutMs` is how long a statement waits for another connection's write
 * lock; the wait blocks this thread, so keep it short.
 *
 * Commits run with `synchronous = NORMAL`: COMMIT appends to the -wal file without an fsync, so
 * it never waits for the disk on the event loop, and a killed process loses nothing (the frames
 * are in the OS's page cache). What makes a commit survive a power loss is WalSync, which every
 * write awaits before it is acknowledged.
 *
 * `exclusive`: this connection is the file's only user, no other may open it, not even to read,
 * until it closes. SQLite then takes the file's locks once and keeps the WAL's index in memory,
 * instead of two lock calls around every read and every transaction.
 */
export function openSqliteFile(
  path: string,
  opts: { busyTimeoutMs: number; foreignKeys?: boolean; exclusive?: boolean },
): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, {
    timeout: opts.busyTimeoutMs,
    enableForeignKeyConstraints: opts.foreignKeys ?? false,
  });
  try {
    // Before the WAL is first opened, so that its index is not put in shared memory.
    if (opts.exclusive) db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    // Statement journals and savepoints' sub-journals (what undoes one write of a group commit)
    // in memory rather than in temp files: they only serve to roll back inside a transaction,
    // never a recovery, and as files they cost a create, an unlink and a write per page journaled.
    db.exec('PRAGMA temp_store = MEMORY');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** How WalSync forces the -wal file to the disk; tests pass one that they control. */
export type SyncFile = (file: FileHandle) => Promise<void>;

const datasync: SyncFile = (file) => file.datasync();

/**
 * Group commit for a SQLite file opened by openSqliteFile: `durable()` resolves once everything
 * committed before the call is on the disk, by an fdatasync of the -wal file on libuv's thread
 * pool, so the event loop goes on serving while the disk works. One sync runs at a time; callers
 * arriving while it runs share the next one, so a burst of commits costs two syncs, not one each.
 *
 * Why an fd on the -wal file stays right: SQLite deletes the WAL only when the last connection
 * closes, and this file's connection stays open while WalSync is used; otherwise it rewrites the
 * same file from its start (a WAL reset) and a checkpoint syncs the WAL and the database itself
 * before any frame is reused.
 */
export class WalSync {
  readonly #walPath: string;
  readonly #syncFile: SyncFile;
  #file: Promise<FileHandle> | undefined;
  /** The sync running now. */
  #running: Promise<void> | undefined;
  /** The sync that starts when the running one ends, shared by everyone who asked meanwhile. */
  #next: Promise<void> | undefined;
  /**
   * After a failed fsync the kernel may have dropped the pages it could not write, so a later
   * fsync that succeeds proves nothing: every later durable() fails with the first error.
   */
  #failure: unknown;
  #failed = false;

  constructor(databasePath: string, opts: { syncFile?: SyncFile } = {}) {
    this.#walPath = `${databasePath}-wal`;
    this.#syncFile = opts.syncFile ?? datasync;
  }

  /** Resolves when every commit made before this call is on the disk; rejects if that failed. */
  durable(): Promise<void> {
    if (this.#next) return this.#next;
    if (this.#running) {
      // The running sync may have begun before this caller's commit was written: wait for a later one.
      const next = this.#running.then(settledAnyway, settledAnyway).then(() => {
        this.#next = undefined;
        return this.#start();
      });
      this.#next = next;
      return next;
    }
    return this.#start();
  }

  /** Throws the sync failure that made this file unusable, if one happened. */
  assertUsable(): void {
    if (this.#failed) throw this.#failure;
  }

  /** Waits for the syncs asked for, then lets go of the -wal file. */
  async close(): Promise<void> {
    await (this.#next ?? this.#running)?.catch(settledAnyway);
    const file = this.#file;
    this.#file = undefined;
    await (await file?.catch(() => undefined))?.close();
  }

  #start(): Promise<void> {
    const running = this.#sync().finally(() => {
      this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  async #sync(): Promise<void> {
    this.assertUsable();
    this.#file ??= this.#openWal();
    let file: FileHandle;
    try {
      file = await this.#file;
    } catch (err) {
      // Nothing was synced, so nothing was lost: the next caller tries to open it again.
      this.#file = undefined;
      throw err;
    }
    try {
      await this.#syncFile(file);
    } catch (err) {
      this.#failed = true;
      this.#failure = err;
      throw err;
    }
  }

  /**
   * Opens the -wal file, which exists once the connection has committed, and syncs the folder
   * once, so that the file's (and the database's) names survive a power loss too.
   */
  async #openWal(): Promise<FileHandle> {
    const folder = await open(dirname(this.#walPath), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    return open(this.#walPath, 'r');
  }
}

const settledAnyway = (): void => {};

/** SQLite's primary result codes (an extended code keeps them in its low byte). */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

/**
 * Errors that mean "the file is locked by another writer right now" (the busy timeout ran out),
 * as opposed to a bad statement: worth answering 503 and trying again.
 */
export function isSqliteBusy(err: unknown): boolean {
  if (!(err instanceof Error) || (err as NodeJS.ErrnoException).code !== 'ERR_SQLITE_ERROR') return false;
  const primary = Number((err as { errcode?: unknown }).errcode) & 0xff;
  return primary === SQLITE_BUSY || primary === SQLITE_LOCKED;
}

/**
 * Runs `work` in a write transaction. BEGIN IMMEDIATE takes the file's write lock before the
 * first read, so a guard checked inside still holds at COMMIT even when another process writes
 * to the same file. `work` must be synchronous: an await inside would let this connection's
 * other callers run in the middle of the transaction. Called inside a transaction, `work` joins it.
 * The commit is not durable yet: acknowledge it after the file's WalSync.durable().
 */
export function writeTransaction<T>(db: DatabaseSync, work: () => T): T {
  if (db.isTransaction) return work();
  const { begin, commit, rollback } = transactionStatements(db);
  begin.run();
  try {
    const result = work();
    commit.run();
    return result;
  } catch (err) {
    if (db.isTransaction) rollback.run();
    throw err;
  }
}

type TransactionStatements = { begin: StatementSync; commit: StatementSync; rollback: StatementSync };

const preparedTransactions = new WeakMap<DatabaseSync, TransactionStatements>();

/** A connection's BEGIN IMMEDIATE, COMMIT and ROLLBACK, prepared once: exec parses them each time. */
function transactionStatements(db: DatabaseSync): TransactionStatements {
  let statements = preparedTransactions.get(db);
  if (!statements) {
    statements = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    };
    preparedTransactions.set(db, statements);
  }
  return statements;
}

// What the two embedded SQLite files (the session store and the event bus) open and write alike,
// on Node's built-in node:sqlite.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Opens `path` (creating its folder) in WAL mode, which lets readers in other processes go on
 * while one writes. `busyTimeoutMs` is how long a statement waits for another connection's write
 * lock; the wait blocks this thread, so keep it short.
 */
export function openSqliteFile(
  path: string,
  opts: { busyTimeoutMs: number; foreignKeys?: boolean; synchronous?: 'NORMAL' | 'FULL' },
): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, {
    timeout: opts.busyTimeoutMs,
    enableForeignKeyConstraints: opts.foreignKeys ?? false,
  });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    if (opts.synchronous) db.exec(`PRAGMA synchronous = ${opts.synchronous}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

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
 */
export function writeTransaction<T>(db: DatabaseSync, work: () => T): T {
  if (db.isTransaction) return work();
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSqliteBusy, openSqliteFile, WalSync, writeTransaction } from './sqlite.ts';

/** A sync the test finishes by hand: each call waits until the test resolves or fails it. */
function heldSyncs() {
  const started: { finish(): void; fail(err: Error): void }[] = [];
  const syncFile = (_file: FileHandle) =>
    new Promise<void>((resolve, reject) => started.push({ finish: resolve, fail: reject }));
  return { started, syncFile };
}

/** Whether `promise` has settled once everything already queued has run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('WalSync', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uplink-walsync-'));
    path = join(dir, 'file.sqlite');
    // A committed write, so that the -wal file exists as it does under a store.
    const db = openSqliteFile(path, { busyTimeoutMs: 0 });
    writeTransaction(db, () => db.exec('CREATE TABLE t (x INTEGER)'));
    db.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers only after a sync that began after the call; callers meanwhile share the next one', async () => {
    const db = openSqliteFile(path, { busyTimeoutMs: 0 });
    const { started, syncFile } = heldSyncs();
    const walSync = new WalSync(path, { syncFile });
    try {
      const first = walSync.durable();
      await vi.waitFor(() => expect(started).toHaveLength(1));

      // Written while the first sync runs: it may not cover these, so they wait for another.
      const second = walSync.durable();
      const third = walSync.durable();
      expect(await isSettled(second)).toBe(false);
      expect(started).toHaveLength(1);

      started[0]?.finish();
      expect(await isSettled(first)).toBe(true);
      expect(await isSettled(second)).toBe(false);
      expect(started).toHaveLength(2);

      started[1]?.finish();
      await Promise.all([second, third]);
      expect(started).toHaveLength(2);
    } finally {
      for (const sync of started) sync.finish();
      await walSync.close();
      db.close();
    }
  });

  it('fails the callers of a failed sync, and every later one, since the disk lost what it held', async () => {
    const db = openSqliteFile(path, { busyTimeoutMs: 0 });
    const { started, syncFile } = heldSyncs();
    const walSync = new WalSync(path, { syncFile });
    try {
      const failed = walSync.durable();
      await vi.waitFor(() => expect(started).toHaveLength(1));
      started[0]?.fail(new Error('EIO'));
      await expect(failed).rejects.toThrow('EIO');
      await expect(walSync.durable()).rejects.toThrow('EIO');
      expect(() => walSync.assertUsable()).toThrow('EIO');
      expect(started).toHaveLength(1);
    } finally {
      await walSync.close();
      db.close();
    }
  });

  it('syncs the real -wal file by default', async () => {
    const db = openSqliteFile(path, { busyTimeoutMs: 0 });
    const walSync = new WalSync(path);
    try {
      writeTransaction(db, () => db.exec('INSERT INTO t VALUES (1)'));
      await walSync.durable();
      walSync.assertUsable();
    } finally {
      await walSync.close();
      db.close();
    }
  });
});

describe('openSqliteFile', () => {
  it('opens in WAL mode, syncing at checkpoints only, with its rollback journals in memory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uplink-sqlite-open-'));
    const db = openSqliteFile(join(dir, 'nested', 'file.sqlite'), { busyTimeoutMs: 0 });
    try {
      const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];
      expect(pragma('journal_mode')).toBe('wal');
      // NORMAL = 1, MEMORY = 2.
      expect(pragma('synchronous')).toBe(1);
      expect(pragma('temp_store')).toBe(2);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('writeTransaction', () => {
  it('commits, rolls back what throws, and can try again after another connection held the lock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uplink-sqlite-tx-'));
    const path = join(dir, 'file.sqlite');
    const db = openSqliteFile(path, { busyTimeoutMs: 0 });
    const other = openSqliteFile(path, { busyTimeoutMs: 0 });
    const count = () => Number(db.prepare('SELECT count(*) AS n FROM t').get()?.n);
    try {
      writeTransaction(db, () => db.exec('CREATE TABLE t (x INTEGER)'));
      writeTransaction(db, () => db.exec('INSERT INTO t VALUES (1)'));
      expect(() =>
        writeTransaction(db, () => {
          db.exec('INSERT INTO t VALUES (2)');
          throw new Error('refused');
        }),
      ).toThrow('refused');
      expect(count()).toBe(1);

      other.exec('BEGIN IMMEDIATE');
      let busy: unknown;
      try {
        writeTransaction(db, () => db.exec('INSERT INTO t VALUES (3)'));
      } catch (err) {
        busy = err;
      }
      expect(isSqliteBusy(busy)).toBe(true);
      other.exec('COMMIT');
      writeTransaction(db, () => db.exec('INSERT INTO t VALUES (3)'));
      expect(count()).toBe(2);
    } finally {
      other.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { fork } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteDatabase } from '../src/sqlite/database.ts';
import { SqliteStore } from '../src/sqlite/sqlite-store.ts';
import { tempFolder } from './adapters.ts';
import { HOUR, keyActor, newLink, newTenantId, T0, uploadedFile } from './conformance/fixtures.ts';
import type { WriterOrder, WriterReport } from './group-commit-child.ts';

let folder: ReturnType<typeof tempFolder>;
let path: string;
beforeEach(() => {
  folder = tempFolder();
  path = folder.path('sessions.sqlite');
});
afterEach(() => folder.remove());

/** Whether `promise` has settled once everything already queued has run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  const mark = () => {
    settled = true;
  };
  promise.then(mark, mark);
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('SqliteStore group commit', () => {
  it('answers a write only once the sync that covers it is done', async () => {
    const held: (() => void)[] = [];
    const store = new SqliteStore(path, {
      syncFile: (file: FileHandle) =>
        new Promise<void>((resolve) => held.push(() => resolve(file.datasync()))),
    });
    const finishSyncs = () => {
      for (const finish of held.splice(0)) finish();
    };
    try {
      const tenantId = newTenantId();
      const created = store.links.create(newLink(tenantId));
      await vi.waitFor(() => expect(held).toHaveLength(1));
      expect(await isSettled(created)).toBe(false);
      finishSyncs();
      const { link } = await created;
      const another = store.links.create(newLink(tenantId));
      await vi.waitFor(() => expect(held).toHaveLength(1));
      finishSyncs();
      const toRevoke = (await another).link;

      const writes: [string, () => Promise<unknown>][] = [
        ['markReceived', () => store.links.markReceived(link, { files: [uploadedFile()] }, T0)],
        ['revoke', () => store.links.revoke(tenantId, toRevoke._id, keyActor, T0)],
        ['createTenant', () => store.tenants.createTenant('Acme', T0)],
        [
          'shares.create',
          () =>
            store.shares.create({ tenantId, linkId: link._id, file: uploadedFile(), ttlMs: HOUR, now: T0 }),
        ],
      ];
      for (const [name, write] of writes) {
        const answer = write();
        await vi.waitFor(() => expect(held.length, name).toBeGreaterThan(0));
        expect(await isSettled(answer), name).toBe(false);
        finishSyncs();
        await answer;
      }
    } finally {
      finishSyncs();
      await store.close();
    }
  });

  it('shares one sync among concurrent writes, and keeps every one it answered', async () => {
    let syncs = 0;
    const store = new SqliteStore(path, {
      syncFile: (file) => {
        syncs++;
        return file.datasync();
      },
    });
    const tenantId = newTenantId();
    const created = await Promise.all(
      Array.from({ length: 200 }, () => store.links.create(newLink(tenantId))),
    );
    await store.close();
    // One sync for the first write, one shared by the 199 that came while it ran.
    expect(syncs).toBeLessThanOrEqual(2);

    const reopened = new SqliteStore(path);
    try {
      for (const { link } of created) expect(await reopened.links.getById(link._id)).not.toBeNull();
    } finally {
      await reopened.close();
    }
  });

  it('undoes only the changes of a write that fails among the writes committed with it', async () => {
    const db = SqliteDatabase.open(path);
    const insert = (id: string) => db.run('INSERT INTO tenants (id, doc) VALUES (?, ?)', id, '{}');
    try {
      // Asked for in one turn of the event loop: one transaction, one savepoint each.
      const outcomes = await Promise.allSettled([
        db.write(() => insert('ten_before')),
        db.write(() => {
          insert('ten_undone');
          throw new Error('refused halfway');
        }),
        db.write(() => insert('ten_before')),
        db.write(() => {
          insert('ten_after');
          return 'answered';
        }),
      ]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'rejected',
        'rejected',
        'fulfilled',
      ]);
      expect(outcomes[3]).toEqual({ status: 'fulfilled', value: 'answered' });
      expect(db.all('SELECT id FROM tenants ORDER BY id').map((row) => row.id)).toEqual([
        'ten_after',
        'ten_before',
      ]);
      // A change outside write would be answered before it is durable: refused.
      expect(() => insert('ten_outside')).toThrow(/SqliteDatabase.write/);
      // A write asked for just before close is committed and answered, not lost.
      const last = db.write(() => insert('ten_last'));
      await db.close();
      await last;
    } finally {
      await db.close();
    }
    const reopened = SqliteDatabase.open(path);
    try {
      expect(reopened.get(`SELECT id FROM tenants WHERE id = 'ten_last'`)).toEqual({ id: 'ten_last' });
    } finally {
      await reopened.close();
    }
  });

  it('loses no answered write when the process is killed (kill -9) in the middle of writing', async () => {
    const child = fork(fileURLToPath(new URL('./group-commit-child.ts', import.meta.url)), {
      stdio: 'inherit',
    });
    const acknowledged: string[] = [];
    const killed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.on('message', (report: WriterReport) => {
      acknowledged.push(report.acknowledged);
      if (acknowledged.length === 500) child.kill('SIGKILL');
    });
    child.send({ path, concurrency: 20 } satisfies WriterOrder);
    await killed;
    expect(child.signalCode).toBe('SIGKILL');

    const store = new SqliteStore(path);
    try {
      const missing: string[] = [];
      for (const id of acknowledged) if (!(await store.links.getById(id))) missing.push(id);
      expect(acknowledged.length).toBeGreaterThanOrEqual(500);
      expect(missing).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

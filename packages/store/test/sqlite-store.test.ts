import { fork } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { Subjects } from '@uplink/contracts';
import { hashSecret } from '@uplink/kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/sqlite/schema.ts';
import { SqliteStore } from '../src/sqlite/sqlite-store.ts';
import { tempFolder } from './adapters.ts';
import {
  at,
  HOUR,
  newLink,
  newTenantId,
  SECOND,
  T0,
  target,
  uploadedFile,
  withoutOutbox,
} from './conformance/fixtures.ts';
import type { RaceOrder, RaceReport } from './sqlite-race-child.ts';

let folder: ReturnType<typeof tempFolder>;
let path: string;
beforeEach(() => {
  folder = tempFolder();
  path = folder.path('sessions.sqlite');
});
afterEach(() => folder.remove());

describe('SqliteStore', () => {
  it('describes itself by its file', async () => {
    const store = new SqliteStore(path);
    expect(store.kind).toBe('sqlite');
    expect(store.location).toBe(path);
    await store.close();
  });

  it('keeps everything across closing and reopening the file', async () => {
    const first = new SqliteStore(path);
    const tenant = await first.tenants.createTenant('Acme', T0);
    const { key } = await first.tenants.createApiKey(tenant._id, { label: 'ci', role: 'admin' }, T0);
    await first.tenants.updateSettings(tenant._id, { mediaPolicy: { retentionDays: 9 } }, at(SECOND));
    const { link, token } = await first.links.create(newLink(tenant._id));
    const received = await first.links.markReceived(link, { files: [uploadedFile()] }, at(SECOND));
    const share = await first.shares.create({
      tenantId: tenant._id,
      linkId: link._id,
      file: uploadedFile(),
      ttlMs: 60 * SECOND,
      now: T0,
    });
    await first.close();

    const second = new SqliteStore(path);
    try {
      expect(received).not.toBeNull();
      expect(await second.links.findByTokenHash(hashSecret(token))).toStrictEqual(
        received && withoutOutbox(received),
      );
      expect(await second.links.outbox.entries(link._id)).toStrictEqual(received?.outbox);
      expect(await second.links.findPendingDueBefore(at(2 * 60 * 60 * SECOND), 10)).toEqual([]);
      expect((await second.tenants.verifyApiKey(hashSecret(key), T0))?.tenantId).toBe(tenant._id);
      expect((await second.tenants.getSettings(tenant._id))?.mediaPolicy.retentionDays).toBe(9);
      expect((await second.shares.findByTokenHash(hashSecret(share.token), T0)).outcome).toBe('found');
    } finally {
      await second.close();
    }
  });

  it('answers ping until closed, then rejects', async () => {
    const store = new SqliteStore(path);
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toThrow();
    await expect(store.links.getById('lnk_AAAAAAAAAAAAAAAAAAAA')).rejects.toThrow();
    await store.close();
  });

  it('writes a WAL-mode file at the current schema version, and prepare is repeatable', async () => {
    const store = new SqliteStore(path);
    await store.prepare();
    await store.prepare();
    await store.close();
    const raw = new DatabaseSync(path);
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(raw.prepare('PRAGMA user_version').get()).toEqual({ user_version: MIGRATIONS.length });
    raw.close();
  });

  it('refuses a file written by a newer schema instead of misreading it', async () => {
    await new SqliteStore(path).close();
    const raw = new DatabaseSync(path);
    raw.exec('PRAGMA user_version = 99');
    raw.close();
    expect(() => new SqliteStore(path)).toThrow(/schema version 99/);
  });

  it("migrates a version 1 file, finding its links' kept files from their documents", async () => {
    // The links as the store writes their documents, driven through their transitions in a
    // scratch file...
    const scratchPath = folder.path('scratch.sqlite');
    const scratch = new SqliteStore(scratchPath);
    const tenantId = newTenantId();
    const received = async () => {
      const { link } = await scratch.links.create(newLink(tenantId));
      const done = await scratch.links.markReceived(link, { files: [uploadedFile()] }, T0);
      if (!done) throw new Error('fixture: markReceived refused a fresh link');
      return done;
    };
    const delivered = await scratch.links.markDelivered(await received(), target, at(2 * SECOND));
    const failed = await scratch.links.markDeliveryFailed(await received(), 'freshdesk', 'Gone.', at(SECOND));
    const deleted = await scratch.links.markDelivered(await received(), target, at(SECOND));
    await received();
    await scratch.links.create(newLink(tenantId));
    if (!delivered || !failed || !deleted) throw new Error('fixture: a received link could not be settled');
    await scratch.links.markFileDeleted(deleted._id, at(HOUR));
    const columns = 'SELECT id, file_settled_at, file_deleted_at FROM links ORDER BY id';
    await scratch.close();
    const written = new DatabaseSync(scratchPath);
    const expectedColumns = written.prepare(columns).all();
    // A version 1 file holds links as they were stored then: one file, as `upload`.
    written.exec(
      `UPDATE links SET doc = json_set(json_remove(doc, '$.files'), '$.upload', json(json_extract(doc, '$.files[0]'))) WHERE json_type(doc, '$.files') IS NOT NULL`,
    );
    written.close();

    // ...stored in a file at schema version 1, in the columns that version had.
    const raw = new DatabaseSync(path);
    raw.exec(MIGRATIONS[0] ?? '');
    raw.exec('PRAGMA user_version = 1');
    const v1Columns =
      'id, tenant_id, token_hash, provider, ticket_id, status, created_at, expires_at, outbox_lease_until, doc';
    raw.exec(`ATTACH DATABASE '${scratchPath}' AS scratch`);
    raw.exec(`INSERT INTO links (${v1Columns}) SELECT ${v1Columns} FROM scratch.links`);
    raw.exec('DETACH DATABASE scratch');
    raw.close();

    const store = new SqliteStore(path);
    try {
      expect(await store.links.findFilesPastRetention(tenantId, at(HOUR), 10)).toStrictEqual([
        withoutOutbox(failed),
        withoutOutbox(delivered),
      ]);
      expect(await store.links.findFilesPastRetention(tenantId, at(2 * SECOND), 10)).toStrictEqual([
        withoutOutbox(failed),
      ]);
      expect(await store.links.markFileDeleted(failed._id, at(HOUR))).toBe(true);
      expect(await store.links.findFilesPastRetention(tenantId, at(HOUR), 10)).toStrictEqual([
        withoutOutbox(delivered),
      ]);
    } finally {
      await store.close();
    }
    // The backfill computed the columns exactly as the store does when it writes a link.
    const migrated = new DatabaseSync(path);
    try {
      expect(migrated.prepare('PRAGMA user_version').get()).toEqual({ user_version: MIGRATIONS.length });
      expect(migrated.prepare(columns).all()).toEqual(
        expectedColumns.map((row) =>
          row.id === failed._id ? { ...row, file_deleted_at: at(HOUR).getTime() } : row,
        ),
      );
    } finally {
      migrated.close();
    }
  });

  it('lets two connections to one file see each other and still receive a link once', async () => {
    const a = new SqliteStore(path);
    const b = new SqliteStore(path);
    try {
      const { link } = await a.links.create(newLink(newTenantId()));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).links.markReceived(link, { files: [uploadedFile()] }, T0),
        ),
      );
      expect(results.filter((result) => result !== null)).toHaveLength(1);
      expect((await b.links.outbox.entries(link._id)).map((entry) => entry.subject)).toEqual([
        Subjects.linkCreated,
        Subjects.uploadCompleted,
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('receives each link once when several processes race on the same file', async () => {
    const store = new SqliteStore(path);
    const linkIds: string[] = [];
    for (let i = 0; i < 100; i++) linkIds.push((await store.links.create(newLink(newTenantId()))).link._id);

    const children = Array.from({ length: 3 }, () =>
      fork(fileURLToPath(new URL('./sqlite-race-child.ts', import.meta.url)), { stdio: 'inherit' }),
    );
    const next = (child: (typeof children)[number]) =>
      new Promise<RaceReport>((resolve, reject) => {
        child.once('message', (report) => resolve(report as RaceReport));
        child.once('exit', (code) => reject(new Error(`race child exited with ${code}`)));
      });
    try {
      const ready = children.map(next);
      // Each process goes through the links in its own order, so they collide all along.
      for (const [i, child] of children.entries()) {
        child.send({ path, linkIds: i % 2 ? [...linkIds].reverse() : linkIds } satisfies RaceOrder);
      }
      await Promise.all(ready);
      const done = children.map(next);
      for (const child of children) child.send('go');
      const reports = await Promise.all(done);

      const won = reports.flatMap((report) => ('won' in report ? report.won : []));
      expect(won.sort()).toEqual([...linkIds].sort());
      for (const id of linkIds) {
        expect((await store.links.getById(id))?.status).toBe('received');
        expect(await store.links.outbox.entries(id)).toHaveLength(2);
      }
    } finally {
      for (const child of children) child.kill();
      await store.close();
    }
  });
});

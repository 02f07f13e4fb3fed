import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { AuditDetails } from '@uplink/contracts';
import { randomId } from '@uplink/kit';
import { connectMongo } from '@uplink/store/mongo';
import { mongoTestOptions } from '@uplink/testing';
import { inject } from 'vitest';
import { MongoStore } from '../src/mongo/mongo-store.ts';
import { SqliteStore } from '../src/sqlite/sqlite-store.ts';
import type { Store } from '../src/store.ts';

/** How tests get a fresh, empty store of one adapter, and get rid of it. */
export type Adapter<S extends Store = Store> = {
  name: string;
  open(): Promise<S>;
  dispose(store: S): Promise<void>;
  /**
   * A second store over the same data, as another replica of the deployment (another process)
   * opens it: its own client or connection. Closed with its close(); the data stays with `store`.
   */
  replica(store: S): Promise<S>;
  /** Changes the audit log behind the store's back, as someone with access to the database could. */
  tamperAudit: AuditTamper<S>;
  /**
   * Rewrites a received link as links received before a submission could hold several files
   * were stored: its first file as `upload`, no `files` and no customer's message.
   */
  storeAsLegacyUpload(store: S, linkId: string): Promise<void>;
};

export type AuditTamper<S extends Store = Store> = {
  /** Overwrites a stored entry's details, its hashes left as they were. */
  alterDetails(store: S, tenantId: string, seq: number, details: AuditDetails): Promise<void>;
  /** Deletes a stored entry. */
  remove(store: S, tenantId: string, seq: number): Promise<void>;
};

/** A database of its own on the run's shared MongoDB-wire server, dropped afterwards. */
export const mongoAdapter: Adapter<MongoStore> = {
  name: 'MongoDB',
  open: async () =>
    new MongoStore(
      await connectMongo(inject('mongoUri'), `test_${randomId('db', 12)}`, 'tests', mongoTestOptions()),
    ),
  dispose: async (store) => {
    await store.mongo.db.dropDatabase().catch(() => {});
    await store.close();
  },
  replica: async (store) =>
    new MongoStore(
      await connectMongo(inject('mongoUri'), store.mongo.db.databaseName, 'tests', mongoTestOptions()),
    ),
  tamperAudit: {
    alterDetails: async (store, tenantId, seq, details) => {
      const result = await store.mongo.db
        .collection('audit_entries')
        .updateOne({ tenantId, seq }, { $set: { details } });
      if (result.modifiedCount !== 1) throw new Error(`no audit entry ${tenantId} ${seq} to alter`);
    },
    remove: async (store, tenantId, seq) => {
      const result = await store.mongo.db.collection('audit_entries').deleteOne({ tenantId, seq });
      if (result.deletedCount !== 1) throw new Error(`no audit entry ${tenantId} ${seq} to delete`);
    },
  },
  storeAsLegacyUpload: async (store, linkId) => {
    const upload = (await store.links.collection.findOne({ _id: linkId }))?.files?.[0];
    if (!upload) throw new Error(`no received link ${linkId} to rewrite`);
    const result = await store.links.collection.updateOne(
      { _id: linkId },
      { $set: { upload }, $unset: { files: '', customerMessage: '' } },
    );
    if (result.modifiedCount !== 1) throw new Error(`no link ${linkId} to rewrite`);
  },
};

/** A second connection to a store's SQLite file, as a person with the file would open it. */
function onSqliteFile(store: SqliteStore, sql: string, ...params: (string | number)[]): void {
  const db = new DatabaseSync(store.location);
  try {
    const { changes } = db.prepare(sql).run(...params);
    if (Number(changes) !== 1) throw new Error(`${sql} changed ${changes} rows`);
  } finally {
    db.close();
  }
}

/** A fresh folder for a test's SQLite files, and a way to remove it. */
export function tempFolder(): { path(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'uplink-store-'));
  return {
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const folders = new WeakMap<SqliteStore, ReturnType<typeof tempFolder>>();

/** A file in a temporary folder, the folder removed afterwards. */
export const sqliteAdapter: Adapter<SqliteStore> = {
  name: 'SQLite',
  open: async () => {
    const folder = tempFolder();
    // A folder that does not exist yet: the store creates it.
    const store = new SqliteStore(folder.path('data/sessions.sqlite'));
    folders.set(store, folder);
    return store;
  },
  dispose: async (store) => {
    await store.close();
    folders.get(store)?.remove();
  },
  replica: async (store) => new SqliteStore(store.location),
  tamperAudit: {
    alterDetails: async (store, tenantId, seq, details) =>
      onSqliteFile(
        store,
        "UPDATE audit_entries SET doc = json_set(doc, '$.details', json(?)) WHERE tenant_id = ? AND seq = ?",
        JSON.stringify(details),
        tenantId,
        seq,
      ),
    remove: async (store, tenantId, seq) =>
      onSqliteFile(store, 'DELETE FROM audit_entries WHERE tenant_id = ? AND seq = ?', tenantId, seq),
  },
  storeAsLegacyUpload: async (store, linkId) =>
    onSqliteFile(
      store,
      `UPDATE links SET doc = json_set(json_remove(doc, '$.files', '$.customerMessage'), '$.upload', json(json_extract(doc, '$.files[0]'))) WHERE id = ?`,
      linkId,
    ),
};

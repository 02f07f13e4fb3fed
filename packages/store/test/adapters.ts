import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
};

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
};

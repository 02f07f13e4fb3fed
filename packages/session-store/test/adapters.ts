import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectMongo, randomId } from '@uplink/kit';
import { mongoTestOptions } from '@uplink/testing';
import { inject } from 'vitest';
import { MongoSessionStore } from '../src/mongo-session-store.ts';
import type { SessionStore } from '../src/session-store.ts';
import { SqliteSessionStore } from '../src/sqlite/sqlite-session-store.ts';

/** How tests get a fresh, empty store of one adapter, and get rid of it. */
export type Adapter<S extends SessionStore = SessionStore> = {
  name: string;
  open(): Promise<S>;
  dispose(store: S): Promise<void>;
};

/** A database of its own on the run's shared MongoDB-wire server, dropped afterwards. */
export const mongoAdapter: Adapter<MongoSessionStore> = {
  name: 'MongoDB',
  open: async () =>
    new MongoSessionStore(
      await connectMongo(inject('mongoUri'), `test_${randomId('db', 12)}`, 'tests', mongoTestOptions()),
    ),
  dispose: async (store) => {
    await store.mongo.db.dropDatabase().catch(() => {});
    await store.close();
  },
};

/** A fresh folder for a test's SQLite files, and a way to remove it. */
export function tempFolder(): { path(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'uplink-session-store-'));
  return {
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const folders = new WeakMap<SqliteSessionStore, ReturnType<typeof tempFolder>>();

/** A file in a temporary folder, the folder removed afterwards. */
export const sqliteAdapter: Adapter<SqliteSessionStore> = {
  name: 'SQLite',
  open: async () => {
    const folder = tempFolder();
    // A folder that does not exist yet: the store creates it.
    const store = new SqliteSessionStore(folder.path('data/sessions.sqlite'));
    folders.set(store, folder);
    return store;
  },
  dispose: async (store) => {
    await store.close();
    folders.get(store)?.remove();
  },
};

import { DatabaseSync } from 'node:sqlite';
import { hashSecret } from '@uplink/kit';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiKeyDocument, keyIdOf } from '../src/api-keys.ts';
import { MIGRATIONS } from '../src/sqlite/schema.ts';
import { SqliteStore } from '../src/sqlite/sqlite-store.ts';
import { mongoAdapter, tempFolder } from './adapters.ts';
import { newTenantId, T0 } from './conformance/fixtures.ts';

// Keys stored before roles existed did everything: after the upgrade they are admin keys, on both
// adapters, with an id to manage them by and the bare prefix (their first characters were never kept).
const legacyKey = 'upk_legacy-key-stored-before-roles-existed-0000';
const tenantId = newTenantId();
const legacyDoc = { _id: hashSecret(legacyKey), tenantId, label: 'zendesk', createdAt: T0 };
const migrated: ApiKeyDocument = {
  ...legacyDoc,
  keyId: keyIdOf(hashSecret(legacyKey)),
  role: 'admin',
  prefix: 'upk_',
};

describe('API keys stored before roles', () => {
  const folder = tempFolder();
  afterEach(() => folder.remove());

  it('become admin keys on SQLite', async () => {
    const path = folder.path('sessions.sqlite');
    const raw = new DatabaseSync(path);
    raw.exec(MIGRATIONS[0] ?? '');
    raw.exec(MIGRATIONS[1] ?? '');
    raw.exec('PRAGMA user_version = 2');
    raw
      .prepare('INSERT INTO api_keys (id, tenant_id, doc) VALUES (?, ?, ?)')
      .run(legacyDoc._id, tenantId, JSON.stringify({ ...legacyDoc, createdAt: { $date: T0.toISOString() } }));
    raw.close();

    const store = new SqliteStore(path);
    try {
      expect(await store.tenants.listApiKeys(tenantId)).toStrictEqual([migrated]);
      expect(await store.tenants.verifyApiKey(hashSecret(legacyKey), T0)).toMatchObject({
        tenantId,
        role: 'admin',
        keyId: migrated.keyId,
      });
      expect(await store.tenants.revokeApiKey(tenantId, migrated.keyId, T0)).toMatchObject({ revokedAt: T0 });
    } finally {
      await store.close();
    }
  });

  it('become admin keys on MongoDB', async () => {
    const store = await mongoAdapter.open();
    try {
      await store.tenants.keys.insertOne(legacyDoc as ApiKeyDocument);
      await store.prepare();
      await store.prepare();
      expect(await store.tenants.listApiKeys(tenantId)).toStrictEqual([migrated]);
      expect((await store.tenants.verifyApiKey(hashSecret(legacyKey), T0))?.role).toBe('admin');
    } finally {
      await mongoAdapter.dispose(store);
    }
  });
});

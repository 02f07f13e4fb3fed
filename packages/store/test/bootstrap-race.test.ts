import { hashSecret } from '@uplink/kit';
import { connectMongo, type Mongo, MongoTenantStore } from '@uplink/store/mongo';
import { API_KEY_PREFIX, bootstrapTenantId } from '@uplink/tenants';
import { mongoTestOptions } from '@uplink/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { mongoAdapter } from './adapters.ts';
import { newTenantId, T0 } from './conformance/fixtures.ts';

// Replicas starting together each hold their own connection: the conformance suite's race shares
// one store (and, on FerretDB, one pooled connection), so it cannot show this.
describe('bootstrap tenant across connections', () => {
  const opened: Mongo[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((mongo) => mongo.client.close()));
  });

  it('creates one demo tenant and key when several replicas start at once', async () => {
    const store = await mongoAdapter.open();
    try {
      const dbName = store.mongo.db.databaseName;
      for (let i = 0; i < 6; i++) {
        opened.push(await connectMongo(inject('mongoUri'), dbName, `replica-${i}`, mongoTestOptions()));
      }
      for (let round = 0; round < 5; round++) {
        const key = `${API_KEY_PREFIX}bootstrap-${newTenantId()}`;
        const ids = await Promise.all(
          opened.map((mongo) => new MongoTenantStore(mongo.db).ensureBootstrapTenant(key, T0)),
        );
        expect(new Set(ids)).toEqual(new Set([bootstrapTenantId(key)]));
        expect((await store.tenants.verifyApiKey(hashSecret(key), T0))?.tenantId).toBe(
          bootstrapTenantId(key),
        );
        expect(await store.tenants.tenants.countDocuments({ _id: bootstrapTenantId(key) })).toBe(1);
      }
    } finally {
      await mongoAdapter.dispose(store);
    }
  });
});

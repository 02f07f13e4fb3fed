import type { Settings, SettingsUpdate } from '@uplink/contracts';
import { randomId } from '@uplink/kit';
import {
  type DestinationsRecord,
  newTenant,
  type StoredDestinations,
  type TenantDocument,
  withDefaults,
} from '@uplink/tenants';
import type { Collection, Db, OptionalUnlessRequiredId } from 'mongodb';
import {
  type ApiKeyDocument,
  ApiKeys,
  legacyKeyFields,
  type NewApiKey,
  type VerifiedApiKey,
} from '../api-keys.ts';
import { collectPaths, type TenantStore } from '../tenant-store.ts';
import { isDuplicateKeyError } from './connection.ts';

/** TenantStore on MongoDB: `tenants` (settings and destinations inside) and `api_keys`. */
export class MongoTenantStore implements TenantStore {
  readonly tenants: Collection<
    TenantDocument & { destinations?: StoredDestinations; destinationsRevision?: number }
  >;
  readonly keys: Collection<ApiKeyDocument>;
  readonly #apiKeys: ApiKeys;

  constructor(db: Db) {
    this.tenants = db.collection('tenants');
    this.keys = db.collection<ApiKeyDocument>('api_keys');
    this.#apiKeys = new ApiKeys({
      insertKey: async (key) => {
        await this.keys.insertOne(key);
      },
      findKey: (keyHash) => this.keys.findOne({ _id: keyHash }),
      listKeys: (tenantId) => this.keys.find({ tenantId }).sort({ createdAt: 1, _id: 1 }).toArray(),
      revokeKey: async (tenantId, keyId, now) => {
        await this.keys.updateOne(
          { tenantId, keyId, revokedAt: { $exists: false } },
          { $set: { revokedAt: now } },
        );
        return this.keys.findOne({ tenantId, keyId });
      },
      touchKey: async (keyHash, now) => {
        await this.keys.updateOne({ _id: keyHash }, { $set: { lastUsedAt: now } });
      },
      // Replicas start together: an upsert can lose the race with a duplicate-key error, and the
      // server only sometimes retries it. An insert whose _id is taken means the document is there.
      insertBootstrap: async (tenant, key) => {
        await insertIfAbsent(this.tenants, tenant);
        await insertIfAbsent(this.keys, key);
      },
    });
  }

  async ensureIndexes(): Promise<void> {
    await this.#migrateLegacyKeys();
    await this.keys.createIndex({ tenantId: 1 }, { name: 'tenant_keys' });
    await this.keys.createIndex({ keyId: 1 }, { name: 'key_id' });
  }

  /**
   * Keys stored before roles become admin keys with their derived id. Repeatable, and replicas
   * starting together write the same values.
   */
  async #migrateLegacyKeys(): Promise<void> {
    const legacy = await this.keys.find({ role: { $exists: false } }, { projection: { _id: 1 } }).toArray();
    for (const { _id } of legacy) {
      await this.keys.updateOne({ _id, role: { $exists: false } }, { $set: legacyKeyFields(_id) });
    }
  }

  async createTenant(name: string, now: Date): Promise<TenantDocument> {
    const tenant = newTenant(randomId('ten'), name, now);
    await this.tenants.insertOne(tenant);
    return tenant;
  }

  createApiKey(
    tenantId: string,
    options: NewApiKey,
    now: Date,
  ): Promise<{ key: string; stored: ApiKeyDocument }> {
    return this.#apiKeys.create(tenantId, options, now);
  }

  ensureBootstrapTenant(key: string, now: Date): Promise<string> {
    return this.#apiKeys.ensureBootstrapTenant(key, now);
  }

  verifyApiKey(keyHash: string, now: Date): Promise<VerifiedApiKey | null> {
    return this.#apiKeys.verify(keyHash, now);
  }

  listApiKeys(tenantId: string): Promise<ApiKeyDocument[]> {
    return this.#apiKeys.list(tenantId);
  }

  revokeApiKey(tenantId: string, keyId: string, now: Date): Promise<ApiKeyDocument | null> {
    return this.#apiKeys.revoke(tenantId, keyId, now);
  }

  async getSettings(tenantId: string): Promise<Settings | null> {
    const tenant = await this.tenants.findOne({ _id: tenantId }, { projection: { settings: 1 } });
    return tenant ? withDefaults(tenant.settings) : null;
  }

  async updateSettings(tenantId: string, update: SettingsUpdate, now: Date): Promise<Settings | null> {
    const $set: Record<string, unknown> = { updatedAt: now };
    collectPaths('settings', update, $set);
    const tenant = await this.tenants.findOneAndUpdate(
      { _id: tenantId },
      { $set },
      { returnDocument: 'after' },
    );
    return tenant ? withDefaults(tenant.settings) : null;
  }

  async readDestinations(tenantId: string): Promise<DestinationsRecord | null> {
    const tenant = await this.tenants.findOne(
      { _id: tenantId },
      { projection: { destinations: 1, destinationsRevision: 1 } },
    );
    return tenant ? { stored: tenant.destinations ?? {}, revision: tenant.destinationsRevision ?? 0 } : null;
  }

  async writeDestinations(
    tenantId: string,
    revision: number,
    next: StoredDestinations,
    now: Date,
  ): Promise<DestinationsRecord | null | 'conflict'> {
    const atRevision =
      revision === 0
        ? { $or: [{ destinationsRevision: { $exists: false } }, { destinationsRevision: 0 }] }
        : { destinationsRevision: revision };
    const result = await this.tenants.updateOne(
      { _id: tenantId, ...atRevision },
      { $set: { destinations: next, destinationsRevision: revision + 1, updatedAt: now } },
    );
    if (result.matchedCount === 1) return { stored: next, revision: revision + 1 };
    return (await this.readDestinations(tenantId)) === null ? null : 'conflict';
  }

  async listTenantIds(): Promise<string[]> {
    const tenants = await this.tenants
      .find({}, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .toArray();
    return tenants.map((tenant) => tenant._id);
  }
}

async function insertIfAbsent<T extends { _id: string }>(
  collection: Collection<T>,
  doc: OptionalUnlessRequiredId<T>,
): Promise<void> {
  try {
    await collection.insertOne(doc);
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
}

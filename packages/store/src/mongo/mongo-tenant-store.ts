import type { Settings, SettingsUpdate } from '@uplink/contracts';
import { hashSecret, isDuplicateKeyError, newSecret, randomId } from '@uplink/kit';
import {
  API_KEY_PREFIX,
  bootstrapTenantId,
  type DestinationsRecord,
  newTenant,
  type StoredDestinations,
  type TenantDocument,
  withDefaults,
} from '@uplink/tenants';
import type { Collection, Db, OptionalUnlessRequiredId } from 'mongodb';
import { ApiKeyCache, type ApiKeyDocument } from '../api-keys.ts';
import { collectPaths, type TenantStore } from '../tenant-store.ts';

/** TenantStore on MongoDB: `tenants` (settings and destinations inside) and `api_keys`. */
export class MongoTenantStore implements TenantStore {
  readonly tenants: Collection<
    TenantDocument & { destinations?: StoredDestinations; destinationsRevision?: number }
  >;
  readonly keys: Collection<ApiKeyDocument>;
  readonly #keyCache = new ApiKeyCache();

  constructor(db: Db) {
    this.tenants = db.collection('tenants');
    this.keys = db.collection<ApiKeyDocument>('api_keys');
  }

  async ensureIndexes(): Promise<void> {
    await this.keys.createIndex({ tenantId: 1 }, { name: 'tenant_keys' });
  }

  async createTenant(name: string, now: Date): Promise<TenantDocument> {
    const tenant = newTenant(randomId('ten'), name, now);
    await this.tenants.insertOne(tenant);
    return tenant;
  }

  async createApiKey(tenantId: string, label: string, now: Date): Promise<string> {
    const key = `${API_KEY_PREFIX}${newSecret()}`;
    await this.keys.insertOne({ _id: hashSecret(key), tenantId, label, createdAt: now });
    return key;
  }

  async ensureBootstrapTenant(key: string, now: Date): Promise<string> {
    const tenantId = bootstrapTenantId(key);
    // Replicas start together: an upsert can lose the race with a duplicate-key error, and the
    // server only sometimes retries it. An insert whose _id is taken means the document is there.
    await insertIfAbsent(this.tenants, newTenant(tenantId, 'Demo Company', now));
    await insertIfAbsent(this.keys, {
      _id: hashSecret(key),
      tenantId,
      label: 'bootstrap',
      createdAt: now,
    });
    return tenantId;
  }

  async tenantIdForKey(key: string, nowMs = Date.now()): Promise<string | null> {
    const keyHash = hashSecret(key);
    const cached = this.#keyCache.get(keyHash, nowMs);
    if (cached) return cached;
    const doc = await this.keys.findOne({ _id: keyHash });
    if (!doc) return null;
    this.#keyCache.set(keyHash, doc.tenantId, nowMs);
    return doc.tenantId;
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

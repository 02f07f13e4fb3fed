import {
  DEFAULT_VALIDITY_HOURS,
  defaultMediaPolicy,
  MEDIA_CATEGORIES,
  type MediaPolicy,
  type Settings,
  type SettingsUpdate,
} from '@uplink/contracts';
import { hashSecret, isDuplicateKeyError, newSecret, randomId } from '@uplink/kit';
import type { Collection, Db, OptionalUnlessRequiredId } from 'mongodb';
import type { StoredDestinations } from './destination-store.ts';

export type TenantDocument = {
  _id: string;
  name: string;
  settings: Settings;
  createdAt: Date;
  updatedAt: Date;
};

/** API keys are stored by their SHA-256 only; the key itself is shown once, at creation. */
export type ApiKeyDocument = { _id: string; tenantId: string; label: string; createdAt: Date };

export const API_KEY_PREFIX = 'upk_';

/** How long a verified key is trusted without asking the database again. */
const KEY_CACHE_MS = 10_000;

/**
 * Tenants, their API keys, settings and destinations: the session-store port for them.
 * Adapters: MongoTenantStore (production) and the embedded SQLite one.
 */
export interface TenantStore {
  ensureIndexes(): Promise<void>;
  createTenant(name: string, now: Date): Promise<TenantDocument>;
  /** A new key for the tenant; returned once, stored as its SHA-256. */
  createApiKey(tenantId: string, label: string, now: Date): Promise<string>;
  /**
   * Makes sure a demo tenant answers to `key`. The tenant id derives from the key's hash, so
   * replicas starting together converge on one tenant instead of racing to create several.
   */
  ensureBootstrapTenant(key: string, now: Date): Promise<string>;
  /** The tenant a key belongs to, or null for an unknown key. */
  tenantIdForKey(key: string, nowMs?: number): Promise<string | null>;
  getSettings(tenantId: string): Promise<Settings | null>;
  /** Sets exactly the fields the update names, however deep, so nothing else is overwritten. */
  updateSettings(tenantId: string, update: SettingsUpdate, now: Date): Promise<Settings | null>;
  /** The tenant's stored destinations (secrets sealed) and their revision; null when there is no such tenant. */
  readDestinations(tenantId: string): Promise<DestinationsRecord | null>;
  /**
   * Replaces the tenant's destinations if they are still at `revision`, so two concurrent
   * changes cannot silently undo each other. Null when there is no such tenant; 'conflict' when
   * they changed meanwhile.
   */
  writeDestinations(
    tenantId: string,
    revision: number,
    next: StoredDestinations,
    now: Date,
  ): Promise<DestinationsRecord | null | 'conflict'>;
  /** Every tenant's id, in id order: for sweeps that apply each tenant's own settings. */
  listTenantIds(): Promise<string[]>;
}

/** Destinations as stored, with a revision counting their changes (0: never set). */
export type DestinationsRecord = { stored: StoredDestinations; revision: number };

/** The tenant id the bootstrap key maps to: derived, so every replica picks the same. */
export function bootstrapTenantId(key: string): string {
  return `ten_${hashSecret(key)
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 20)
    .padEnd(20, '0')}`;
}

/** Remembers verified keys for a few seconds: every API request checks one. */
export class ApiKeyCache {
  readonly #entries = new Map<string, { tenantId: string; until: number }>();

  get(keyHash: string, nowMs: number): string | undefined {
    const cached = this.#entries.get(keyHash);
    return cached && cached.until > nowMs ? cached.tenantId : undefined;
  }

  set(keyHash: string, tenantId: string, nowMs: number): void {
    if (this.#entries.size > 10_000) this.#entries.clear();
    this.#entries.set(keyHash, { tenantId, until: nowMs + KEY_CACHE_MS });
  }
}

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

export function newTenant(id: string, name: string, now: Date): TenantDocument {
  return {
    _id: id,
    name,
    settings: {
      companyName: name,
      supportDomain: null,
      defaultValidityHours: DEFAULT_VALIDITY_HOURS,
      mediaPolicy: defaultMediaPolicy(),
    },
    createdAt: now,
    updatedAt: now,
  };
}

export function collectPaths(prefix: string, value: unknown, into: Record<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) collectPaths(`${prefix}.${key}`, inner, into);
  } else {
    into[prefix] = value;
  }
}

/** Tenants stored before a setting existed read as if they had its default. */
export function withDefaults(stored: Partial<Settings> & Pick<Settings, 'companyName'>): Settings {
  const defaults = defaultMediaPolicy();
  const policy: Partial<MediaPolicy> = stored.mediaPolicy ?? {};
  const categories = { ...defaults.categories };
  for (const category of MEDIA_CATEGORIES) {
    categories[category] = { ...defaults.categories[category], ...policy.categories?.[category] };
  }
  return {
    companyName: stored.companyName,
    supportDomain: stored.supportDomain ?? null,
    defaultValidityHours: stored.defaultValidityHours ?? DEFAULT_VALIDITY_HOURS,
    mediaPolicy: { ...defaults, ...policy, categories },
  };
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

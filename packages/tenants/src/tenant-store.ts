import {
  DEFAULT_VALIDITY_HOURS,
  defaultMediaPolicy,
  MEDIA_CATEGORIES,
  type MediaPolicy,
  type Settings,
  type SettingsUpdate,
} from '@uplink/contracts';
import { hashSecret, newSecret, randomId } from '@uplink/kit';
import type { Collection, Db } from 'mongodb';

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

export class TenantStore {
  readonly tenants: Collection<TenantDocument>;
  readonly keys: Collection<ApiKeyDocument>;
  readonly #keyCache = new Map<string, { tenantId: string; until: number }>();

  constructor(db: Db) {
    this.tenants = db.collection<TenantDocument>('tenants');
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

  /**
   * Makes sure a demo tenant answers to `key`. The tenant id derives from the key's hash, so
   * replicas starting together converge on one tenant instead of racing to create several.
   */
  async ensureBootstrapTenant(key: string, now: Date): Promise<string> {
    const keyHash = hashSecret(key);
    const tenantId = `ten_${keyHash
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 20)
      .padEnd(20, '0')}`;
    const demo = newTenant(tenantId, 'Demo Company', now);
    await this.tenants.updateOne({ _id: tenantId }, { $setOnInsert: demo }, { upsert: true });
    await this.keys.updateOne(
      { _id: keyHash },
      { $setOnInsert: { tenantId, label: 'bootstrap', createdAt: now } },
      { upsert: true },
    );
    return tenantId;
  }

  /** The tenant a key belongs to, or null for an unknown key. */
  async tenantIdForKey(key: string, nowMs = Date.now()): Promise<string | null> {
    const keyHash = hashSecret(key);
    const cached = this.#keyCache.get(keyHash);
    if (cached && cached.until > nowMs) return cached.tenantId;
    const doc = await this.keys.findOne({ _id: keyHash });
    if (!doc) return null;
    if (this.#keyCache.size > 10_000) this.#keyCache.clear();
    this.#keyCache.set(keyHash, { tenantId: doc.tenantId, until: nowMs + KEY_CACHE_MS });
    return doc.tenantId;
  }

  async getSettings(tenantId: string): Promise<Settings | null> {
    const tenant = await this.tenants.findOne({ _id: tenantId }, { projection: { settings: 1 } });
    return tenant ? withDefaults(tenant.settings) : null;
  }

  /** Sets exactly the fields the update names, however deep, so nothing else is overwritten. */
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
}

function newTenant(id: string, name: string, now: Date): TenantDocument {
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

function collectPaths(prefix: string, value: unknown, into: Record<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) collectPaths(`${prefix}.${key}`, inner, into);
  } else {
    into[prefix] = value;
  }
}

/** Tenants stored before a setting existed read as if they had its default. */
function withDefaults(stored: Partial<Settings> & Pick<Settings, 'companyName'>): Settings {
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

import type { Settings, SettingsUpdate } from '@uplink/contracts';
import { randomId } from '@uplink/kit';
import {
  type DestinationsRecord,
  newTenant,
  type StoredDestinations,
  type TenantDocument,
  withDefaults,
} from '@uplink/tenants';
import { type ApiKeyDocument, ApiKeys, type NewApiKey, type VerifiedApiKey } from '../api-keys.ts';
import { collectPaths, type TenantStore } from '../tenant-store.ts';
import type { SqliteDatabase } from './database.ts';
import { DocumentTable } from './document-table.ts';

/** A tenant as stored: destinations beside the settings, as in MongoDB's `tenants`. */
type TenantRecord = TenantDocument & { destinations?: StoredDestinations; destinationsRevision?: number };

/**
 * MongoDB's `$set` of one dotted path: sets the field, creating the objects on the way that are
 * missing, and refuses to go through a value that is not an object, as MongoDB does.
 */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const field = keys.pop() ?? path;
  let node = target;
  for (const key of keys) {
    const inner = node[key] ?? {};
    if (typeof inner !== 'object' || Array.isArray(inner)) {
      throw new Error(`cannot set ${path}: ${key} is not an object`);
    }
    node[key] = inner;
    node = inner as Record<string, unknown>;
  }
  node[field] = value;
}

/** TenantStore on SQLite: `tenants` (settings and destinations in the document) and `api_keys`. */
export class SqliteTenantStore implements TenantStore {
  readonly #db: SqliteDatabase;
  readonly #tenants: DocumentTable<TenantRecord>;
  readonly #keys: DocumentTable<ApiKeyDocument>;
  readonly #apiKeys: ApiKeys;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#tenants = new DocumentTable(db, 'tenants', {});
    this.#keys = new DocumentTable(db, 'api_keys', {
      tenant_id: (key) => key.tenantId,
      key_id: (key) => key.keyId,
    });
    this.#apiKeys = new ApiKeys({
      insertKey: (key) => this.#db.write(() => this.#keys.insert(key)),
      findKey: async (keyHash) => this.#keys.get(keyHash),
      listKeys: async (tenantId) => this.#keys.find('tenant_id = ?', [tenantId], 'ORDER BY rowid'),
      revokeKey: (tenantId, keyId, now) =>
        this.#db.write(() => {
          const [key] = this.#keys.find('tenant_id = ? AND key_id = ?', [tenantId, keyId]);
          if (!key) return null;
          if (key.revokedAt) return key;
          const revoked = { ...key, revokedAt: now };
          this.#keys.replace(revoked);
          return revoked;
        }),
      touchKey: async (keyHash, now) => {
        await this.#db.write(() => this.#keys.update(keyHash, (key) => ({ ...key, lastUsedAt: now })));
      },
      insertBootstrap: (tenant, key) =>
        this.#db.write(() => {
          this.#tenants.insertIfAbsent(tenant);
          this.#keys.insertIfAbsent(key);
        }),
    });
  }

  /** The schema is created when the database is opened. */
  async ensureIndexes(): Promise<void> {}

  async createTenant(name: string, now: Date): Promise<TenantDocument> {
    const tenant = newTenant(randomId('ten'), name, now);
    await this.#db.write(() => this.#tenants.insert(tenant));
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
    const tenant = this.#tenants.get(tenantId);
    return tenant ? withDefaults(tenant.settings) : null;
  }

  async updateSettings(tenantId: string, update: SettingsUpdate, now: Date): Promise<Settings | null> {
    const paths: Record<string, unknown> = {};
    collectPaths('settings', update, paths);
    const tenant = await this.#db.write(() =>
      this.#tenants.update(tenantId, (current) => {
        // `current` was just parsed from the row, so changing it in place touches nothing shared.
        for (const [path, value] of Object.entries(paths)) {
          setPath(current as unknown as Record<string, unknown>, path, value);
        }
        return { ...current, updatedAt: now };
      }),
    );
    return tenant ? withDefaults(tenant.settings) : null;
  }

  async readDestinations(tenantId: string): Promise<DestinationsRecord | null> {
    const tenant = this.#tenants.get(tenantId);
    return tenant ? { stored: tenant.destinations ?? {}, revision: tenant.destinationsRevision ?? 0 } : null;
  }

  async writeDestinations(
    tenantId: string,
    revision: number,
    next: StoredDestinations,
    now: Date,
  ): Promise<DestinationsRecord | null | 'conflict'> {
    return this.#db.write(() => {
      const tenant = this.#tenants.get(tenantId);
      if (!tenant) return null;
      if ((tenant.destinationsRevision ?? 0) !== revision) return 'conflict';
      this.#tenants.replace({
        ...tenant,
        destinations: next,
        destinationsRevision: revision + 1,
        updatedAt: now,
      });
      return { stored: next, revision: revision + 1 };
    });
  }

  async listTenantIds(): Promise<string[]> {
    return this.#db.all('SELECT id FROM tenants ORDER BY id').map((row) => String(row.id));
  }
}

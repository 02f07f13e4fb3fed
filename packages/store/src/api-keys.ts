import { hashSecret, newSecret } from '@uplink/kit';
import { API_KEY_PREFIX, bootstrapTenantId, newTenant, type TenantDocument } from '@uplink/tenants';

/** API keys are stored by their SHA-256 only; the key itself is shown once, at creation. */
export type ApiKeyDocument = { _id: string; tenantId: string; label: string; createdAt: Date };

/** How long a verified key is trusted without asking the database again. */
const KEY_CACHE_MS = 10_000;

/** What a TenantStore adapter keeps for API keys; the rules around them are ApiKeys'. */
export interface ApiKeyRecords {
  insertKey(key: ApiKeyDocument): Promise<void>;
  findKey(keyHash: string): Promise<ApiKeyDocument | null>;
  /**
   * Inserts the tenant and the key, each unless one with its id is there already: replicas
   * starting together race to do this, and every one of them must succeed.
   */
  insertBootstrap(tenant: TenantDocument, key: ApiKeyDocument): Promise<void>;
}

/**
 * API keys the same way on every adapter: minted with the prefix, stored by hash, the bootstrap
 * tenant derived from its key, verified keys remembered for a few seconds (every API request
 * checks one).
 */
export class ApiKeys {
  readonly #records: ApiKeyRecords;
  readonly #verified = new Map<string, { tenantId: string; until: number }>();

  constructor(records: ApiKeyRecords) {
    this.#records = records;
  }

  /** A new key for the tenant; returned once, stored as its SHA-256. */
  async create(tenantId: string, label: string, now: Date): Promise<string> {
    const key = `${API_KEY_PREFIX}${newSecret()}`;
    await this.#records.insertKey({ _id: hashSecret(key), tenantId, label, createdAt: now });
    return key;
  }

  /** See TenantStore.ensureBootstrapTenant. */
  async ensureBootstrapTenant(key: string, now: Date): Promise<string> {
    const tenantId = bootstrapTenantId(key);
    await this.#records.insertBootstrap(newTenant(tenantId, 'Demo Company', now), {
      _id: hashSecret(key),
      tenantId,
      label: 'bootstrap',
      createdAt: now,
    });
    return tenantId;
  }

  /** The tenant the key with this hash belongs to, or null for an unknown key. */
  async tenantIdForKeyHash(keyHash: string, nowMs: number): Promise<string | null> {
    const cached = this.#verified.get(keyHash);
    if (cached && cached.until > nowMs) return cached.tenantId;
    const key = await this.#records.findKey(keyHash);
    if (!key) return null;
    if (this.#verified.size > 10_000) this.#verified.clear();
    this.#verified.set(keyHash, { tenantId: key.tenantId, until: nowMs + KEY_CACHE_MS });
    return key.tenantId;
  }
}

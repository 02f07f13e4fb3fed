import type { Actor, ApiKeyRole } from '@uplink/contracts';
import { hashSecret, newSecret } from '@uplink/kit';
import { API_KEY_PREFIX, bootstrapTenantId, newTenant, type TenantDocument } from '@uplink/tenants';

/**
 * An API key as stored: by its SHA-256 only (`_id`); the key itself is shown once, at creation.
 * `keyId` names it in the key management API; `prefix` is its first characters, so a person can
 * tell keys apart. Keys stored before roles had only `_id`, `tenantId`, `label` and `createdAt`:
 * each adapter's migration makes them admin keys (see `legacyKeyFields`).
 */
export type ApiKeyDocument = {
  _id: string;
  keyId: string;
  tenantId: string;
  role: ApiKeyRole;
  label: string;
  prefix: string;
  createdAt: Date;
  expiresAt?: Date;
  revokedAt?: Date;
  /** Written at most once per KEY_CACHE_MS per process: when a request had to look the key up. */
  lastUsedAt?: Date;
};

export type NewApiKey = { label: string; role: ApiKeyRole; expiresAt?: Date };

/** A key that works now, as authentication needs it. */
export type VerifiedApiKey = { tenantId: string; keyId: string; role: ApiKeyRole; actor: Actor };

/** How long a verified key is trusted without asking the database again. */
export const KEY_CACHE_MS = 10_000;

/**
 * The key's public id, derived from its hash so that keys stored before ids existed get theirs by
 * migration: the SQLite migration spells the same rule in SQL (schema.ts, "roles on API keys").
 */
export function keyIdOf(keyHash: string): string {
  return `key_${keyHash.replace(/[^A-Za-z0-9]/g, '').slice(0, 20)}`;
}

/**
 * What a person sees of a key: the first 12 characters of one in the minted form (`upk_` and 43
 * random characters, so 8 of them show). Of any other key, such as a short or hand-made
 * UPLINK_BOOTSTRAP_API_KEY, only the bare `upk_`: its first characters may be much of the secret.
 */
export function keyPrefixOf(key: string): string {
  return key.startsWith(API_KEY_PREFIX) && key.length >= 40 ? key.slice(0, 12) : API_KEY_PREFIX;
}

/** The fields a key stored before roles lacks: it was all-powerful, so it becomes an admin key. */
export function legacyKeyFields(keyHash: string): Pick<ApiKeyDocument, 'keyId' | 'role' | 'prefix'> {
  return { keyId: keyIdOf(keyHash), role: 'admin', prefix: API_KEY_PREFIX };
}

/** What a TenantStore adapter keeps for API keys; the rules around them are ApiKeys'. */
export interface ApiKeyRecords {
  insertKey(key: ApiKeyDocument): Promise<void>;
  findKey(keyHash: string): Promise<ApiKeyDocument | null>;
  listKeys(tenantId: string): Promise<ApiKeyDocument[]>;
  /** Sets revokedAt on the tenant's key unless already revoked; the key as it is after, or null. */
  revokeKey(tenantId: string, keyId: string, now: Date): Promise<ApiKeyDocument | null>;
  touchKey(keyHash: string, now: Date): Promise<void>;
  /**
   * Inserts the tenant and the key, each unless one with its id is there already: replicas
   * starting together race to do this, and every one of them must succeed.
   */
  insertBootstrap(tenant: TenantDocument, key: ApiKeyDocument): Promise<void>;
}

function actorOf(key: ApiKeyDocument): Actor {
  return { kind: 'api_key', keyPrefix: key.prefix, label: key.label };
}

/**
 * API keys the same way on every adapter: minted with the prefix, stored by hash, the bootstrap
 * tenant derived from its key, verified keys remembered for a few seconds (every API request
 * checks one), expired and revoked keys refused.
 */
export class ApiKeys {
  readonly #records: ApiKeyRecords;
  readonly #verified = new Map<string, { key: VerifiedApiKey; until: number }>();

  constructor(records: ApiKeyRecords) {
    this.#records = records;
  }

  /** A new key for the tenant; the key is returned once, stored as its SHA-256. */
  async create(
    tenantId: string,
    options: NewApiKey,
    now: Date,
  ): Promise<{ key: string; stored: ApiKeyDocument }> {
    const key = `${API_KEY_PREFIX}${newSecret()}`;
    const keyHash = hashSecret(key);
    const stored: ApiKeyDocument = {
      _id: keyHash,
      keyId: keyIdOf(keyHash),
      tenantId,
      role: options.role,
      label: options.label,
      prefix: keyPrefixOf(key),
      createdAt: now,
      ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
    };
    await this.#records.insertKey(stored);
    return { key, stored };
  }

  /** See TenantStore.ensureBootstrapTenant. The bootstrap key is an admin key. */
  async ensureBootstrapTenant(key: string, now: Date): Promise<string> {
    const tenantId = bootstrapTenantId(key);
    const keyHash = hashSecret(key);
    await this.#records.insertBootstrap(newTenant(tenantId, 'Demo Company', now), {
      _id: keyHash,
      keyId: keyIdOf(keyHash),
      tenantId,
      role: 'admin',
      label: 'bootstrap',
      prefix: keyPrefixOf(key),
      createdAt: now,
    });
    return tenantId;
  }

  /** The key with this hash if it works at `now`; null for an unknown, expired or revoked key. */
  async verify(keyHash: string, now: Date): Promise<VerifiedApiKey | null> {
    const nowMs = now.getTime();
    const cached = this.#verified.get(keyHash);
    if (cached && cached.until > nowMs) return cached.key;
    const stored = await this.#records.findKey(keyHash);
    if (!stored || stored.revokedAt || (stored.expiresAt && stored.expiresAt <= now)) return null;
    await this.#records.touchKey(keyHash, now);
    const key: VerifiedApiKey = {
      tenantId: stored.tenantId,
      keyId: stored.keyId,
      role: stored.role,
      actor: actorOf(stored),
    };
    if (this.#verified.size > 10_000) this.#verified.clear();
    // A key that expires sooner than the cache would trust it is trusted until its expiry only.
    const until = Math.min(nowMs + KEY_CACHE_MS, stored.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY);
    this.#verified.set(keyHash, { key, until });
    return key;
  }

  list(tenantId: string): Promise<ApiKeyDocument[]> {
    return this.#records.listKeys(tenantId);
  }

  /**
   * Revokes the tenant's key; null when it has no such key. This process forgets the key at
   * once; other processes within KEY_CACHE_MS, when their cached verification runs out.
   */
  async revoke(tenantId: string, keyId: string, now: Date): Promise<ApiKeyDocument | null> {
    const revoked = await this.#records.revokeKey(tenantId, keyId, now);
    if (revoked) this.#verified.delete(revoked._id);
    return revoked;
  }
}

import type { Settings, SettingsUpdate } from '@uplink/contracts';
import type { DestinationsStorage, TenantDocument } from '@uplink/tenants';
import type { ApiKeyDocument, NewApiKey, VerifiedApiKey } from './api-keys.ts';

/**
 * Tenants, their API keys, settings and destinations: the store port for them.
 * Adapters: MongoTenantStore (production) and the embedded SQLite one. Destinations are read and
 * written through DestinationsStorage, the part DestinationStore (@uplink/tenants) works on.
 */
export interface TenantStore extends DestinationsStorage {
  ensureIndexes(): Promise<void>;
  createTenant(name: string, now: Date): Promise<TenantDocument>;
  /** A new key for the tenant; the key is returned once, stored as its SHA-256. */
  createApiKey(
    tenantId: string,
    options: NewApiKey,
    now: Date,
  ): Promise<{ key: string; stored: ApiKeyDocument }>;
  /**
   * Makes sure a demo tenant answers to `key`. The tenant id derives from the key's hash, so
   * replicas starting together converge on one tenant instead of racing to create several.
   */
  ensureBootstrapTenant(key: string, now: Date): Promise<string>;
  /**
   * The key with this hash (kit's hashSecret) if it works at `now`: null for an unknown, expired
   * or revoked key. A verified key is trusted for KEY_CACHE_MS (10 s) without asking the database
   * again, in this process; within it, its expiry still holds.
   */
  verifyApiKey(keyHash: string, now: Date): Promise<VerifiedApiKey | null>;
  /** The tenant's keys, revoked ones included, oldest first. */
  listApiKeys(tenantId: string): Promise<ApiKeyDocument[]>;
  /**
   * Revokes the tenant's key (null when it has none with this id). It stops working in this
   * process at once, in others when their cached verification runs out (KEY_CACHE_MS).
   */
  revokeApiKey(tenantId: string, keyId: string, now: Date): Promise<ApiKeyDocument | null>;
  getSettings(tenantId: string): Promise<Settings | null>;
  /** Sets exactly the fields the update names, however deep, so nothing else is overwritten. */
  updateSettings(tenantId: string, update: SettingsUpdate, now: Date): Promise<Settings | null>;
  /** Every tenant's id, in id order: for sweeps that apply each tenant's own settings. */
  listTenantIds(): Promise<string[]>;
}

/**
 * The dotted paths an update sets (`settings.mediaPolicy.receive`, …), so an adapter changes
 * exactly the fields the update names, however deep.
 */
export function collectPaths(prefix: string, value: unknown, into: Record<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) collectPaths(`${prefix}.${key}`, inner, into);
  } else {
    into[prefix] = value;
  }
}

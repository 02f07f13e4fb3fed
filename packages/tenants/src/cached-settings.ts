import type { Settings } from '@uplink/contracts';

/** Where tenant settings are read from: the TenantStore, or a cache in front of it. */
export type SettingsSource = { getSettings(tenantId: string): Promise<Settings | null> };

const MAX_ENTRIES = 10_000;

/**
 * Tenant settings for hot public paths (every upload intent reads the media policy): each tenant's
 * settings are read at most once per `ttlMs`, and concurrent readers share one read. A change made
 * through link-service takes effect here within `ttlMs`. A failed read is not cached.
 */
export class CachedSettings implements SettingsSource {
  readonly #entries = new Map<string, { readAt: number; settings: Promise<Settings | null> }>();
  readonly #source: SettingsSource;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(source: SettingsSource, ttlMs: number, now: () => number = Date.now) {
    this.#source = source;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  getSettings(tenantId: string): Promise<Settings | null> {
    const now = this.#now();
    const cached = this.#entries.get(tenantId);
    if (cached && now - cached.readAt < this.#ttlMs) return cached.settings;
    const settings = this.#source.getSettings(tenantId);
    this.#entries.delete(tenantId);
    // Maps iterate in insertion order: the first key is the entry read longest ago.
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(tenantId, { readAt: now, settings });
    settings.catch(() => {
      if (this.#entries.get(tenantId)?.settings === settings) this.#entries.delete(tenantId);
    });
    return settings;
  }
}

/** API keys are stored by their SHA-256 only; the key itself is shown once, at creation. */
export type ApiKeyDocument = { _id: string; tenantId: string; label: string; createdAt: Date };

/** How long a verified key is trusted without asking the database again. */
const KEY_CACHE_MS = 10_000;

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

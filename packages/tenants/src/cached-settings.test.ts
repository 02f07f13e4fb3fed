import { defaultMediaPolicy, type Settings } from '@uplink/contracts';
import { describe, expect, it } from 'vitest';
import { CachedSettings, type SettingsSource } from './cached-settings.ts';

function source(): SettingsSource & { reads: string[]; fail: boolean; companyName: string } {
  return {
    reads: [],
    fail: false,
    companyName: 'Acme',
    async getSettings(tenantId: string): Promise<Settings | null> {
      this.reads.push(tenantId);
      if (this.fail) throw new Error('database down');
      return {
        companyName: this.companyName,
        supportDomain: null,
        defaultValidityHours: 2,
        mediaPolicy: defaultMediaPolicy(),
        filesNeedSignIn: false,
      };
    },
  };
}

describe('CachedSettings', () => {
  it('reads each tenant once per ttl, shares concurrent reads, and sees changes after the ttl', async () => {
    let now = 0;
    const store = source();
    const cache = new CachedSettings(store, 5_000, () => now);
    const [a, b] = await Promise.all([cache.getSettings('ten_a'), cache.getSettings('ten_a')]);
    expect(a).toBe(b);
    expect(store.reads).toEqual(['ten_a']);
    store.companyName = 'Acme Renamed';
    now = 4_999;
    expect((await cache.getSettings('ten_a'))?.companyName).toBe('Acme');
    now = 5_000;
    expect((await cache.getSettings('ten_a'))?.companyName).toBe('Acme Renamed');
    await cache.getSettings('ten_b');
    expect(store.reads).toEqual(['ten_a', 'ten_a', 'ten_b']);
  });

  it('does not keep a failed read', async () => {
    const store = source();
    const cache = new CachedSettings(store, 5_000, () => 0);
    store.fail = true;
    await expect(cache.getSettings('ten_a')).rejects.toThrow('database down');
    store.fail = false;
    expect((await cache.getSettings('ten_a'))?.companyName).toBe('Acme');
    expect(store.reads).toHaveLength(2);
  });
});

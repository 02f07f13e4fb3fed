import { DEFAULT_VALIDITY_HOURS, defaultMediaPolicy } from '@uplink/contracts';
import { hashSecret } from '@uplink/kit';
import { API_KEY_PREFIX, bootstrapTenantId, type StoredDestinations } from '@uplink/tenants';
import { describe, expect, it } from 'vitest';
import { keyIdOf } from '../../src/api-keys.ts';
import { at, type CurrentStore, HOUR, newTenantId, SECOND, T0 } from './fixtures.ts';

const sealed = (data: string) => ({ kid: 'k1', iv: 'aXY=', data, tag: 'dGFn' });
const webhook = (url: string): StoredDestinations => ({ webhook: { url, secret: sealed('c2VjcmV0') } });

export function describeTenants(store: CurrentStore): void {
  const tenants = () => store().tenants;

  describe('tenants', () => {
    it('creates a tenant with default settings', async () => {
      const tenant = await tenants().createTenant('Acme', T0);
      expect(tenant).toStrictEqual({
        _id: expect.stringMatching(/^ten_[A-Za-z0-9]{20}$/),
        name: 'Acme',
        settings: {
          companyName: 'Acme',
          supportDomain: null,
          defaultValidityHours: DEFAULT_VALIDITY_HOURS,
          mediaPolicy: defaultMediaPolicy(),
          filesNeedSignIn: false,
        },
        createdAt: T0,
        updatedAt: T0,
      });
      expect(await tenants().getSettings(tenant._id)).toStrictEqual(tenant.settings);
      expect(await tenants().getSettings(newTenantId())).toBeNull();
    });

    it('verifies a key as its tenant, role and actor, and refuses an unknown key', async () => {
      const tenant = await tenants().createTenant('Acme', T0);
      const { key, stored } = await tenants().createApiKey(
        tenant._id,
        { label: 'ci', role: 'integration' },
        T0,
      );
      expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
      expect(stored).toStrictEqual({
        _id: hashSecret(key),
        keyId: keyIdOf(hashSecret(key)),
        tenantId: tenant._id,
        role: 'integration',
        label: 'ci',
        prefix: key.slice(0, 12),
        createdAt: T0,
      });
      expect(await tenants().verifyApiKey(hashSecret(key), T0)).toStrictEqual({
        tenantId: tenant._id,
        keyId: stored.keyId,
        role: 'integration',
        actor: { kind: 'api_key', keyPrefix: key.slice(0, 12), label: 'ci' },
      });
      expect(await tenants().verifyApiKey(hashSecret(`${key}x`), T0)).toBeNull();
      const second = await tenants().createApiKey(tenant._id, { label: 'admin', role: 'admin' }, T0);
      expect(second.key).not.toBe(key);
      expect((await tenants().verifyApiKey(hashSecret(second.key), T0))?.role).toBe('admin');
    });

    it('lists keys with when they were last used, and revokes one (the process forgets it at once)', async () => {
      const tenant = await tenants().createTenant('Acme', T0);
      const other = await tenants().createTenant('Globex', T0);
      const first = await tenants().createApiKey(tenant._id, { label: 'first', role: 'admin' }, T0);
      const second = await tenants().createApiKey(
        tenant._id,
        { label: 'second', role: 'integration', expiresAt: at(HOUR) },
        at(SECOND),
      );
      await tenants().createApiKey(other._id, { label: 'other', role: 'admin' }, T0);
      await tenants().verifyApiKey(hashSecret(first.key), at(2 * SECOND));
      expect(await tenants().listApiKeys(tenant._id)).toStrictEqual([
        { ...first.stored, lastUsedAt: at(2 * SECOND) },
        second.stored,
      ]);

      // Verified (and so remembered) just now, yet refused at once after revocation.
      const revoked = await tenants().revokeApiKey(tenant._id, first.stored.keyId, at(3 * SECOND));
      expect(revoked).toStrictEqual({
        ...first.stored,
        lastUsedAt: at(2 * SECOND),
        revokedAt: at(3 * SECOND),
      });
      expect(await tenants().verifyApiKey(hashSecret(first.key), at(3 * SECOND))).toBeNull();
      // Revoking again changes nothing; another tenant's key is not found.
      expect(await tenants().revokeApiKey(tenant._id, first.stored.keyId, at(4 * SECOND))).toStrictEqual(
        revoked,
      );
      expect(await tenants().revokeApiKey(other._id, second.stored.keyId, at(4 * SECOND))).toBeNull();
      expect((await tenants().verifyApiKey(hashSecret(second.key), at(4 * SECOND)))?.role).toBe(
        'integration',
      );
    });

    it('refuses a key from its expiry on, even one verified just before', async () => {
      const tenant = await tenants().createTenant('Acme', T0);
      const { key } = await tenants().createApiKey(
        tenant._id,
        { label: 'temp', role: 'integration', expiresAt: at(5 * SECOND) },
        T0,
      );
      expect(await tenants().verifyApiKey(hashSecret(key), at(5 * SECOND - 1))).not.toBeNull();
      expect(await tenants().verifyApiKey(hashSecret(key), at(5 * SECOND))).toBeNull();
    });

    it('bootstraps one demo tenant per key, however many replicas race to do it', async () => {
      const key = `${API_KEY_PREFIX}bootstrap-${newTenantId()}`;
      const ids = await Promise.all(
        Array.from({ length: 5 }, () => tenants().ensureBootstrapTenant(key, T0)),
      );
      expect(new Set(ids)).toEqual(new Set([bootstrapTenantId(key)]));
      expect(await tenants().ensureBootstrapTenant(key, at(SECOND))).toBe(bootstrapTenantId(key));
      expect(await tenants().verifyApiKey(hashSecret(key), T0)).toMatchObject({
        tenantId: bootstrapTenantId(key),
        role: 'admin',
        actor: { kind: 'api_key', label: 'bootstrap' },
      });
      expect((await tenants().getSettings(bootstrapTenantId(key)))?.companyName).toBe('Demo Company');
    });

    it('keeps settings changed earlier when bootstrapping again', async () => {
      const key = `${API_KEY_PREFIX}bootstrap-${newTenantId()}`;
      const tenantId = await tenants().ensureBootstrapTenant(key, T0);
      await tenants().updateSettings(tenantId, { companyName: 'Renamed' }, at(SECOND));
      await tenants().ensureBootstrapTenant(key, at(2 * SECOND));
      expect((await tenants().getSettings(tenantId))?.companyName).toBe('Renamed');
    });

    it('updates exactly the settings named, however deep', async () => {
      const tenant = await tenants().createTenant('Acme', T0);
      const defaults = defaultMediaPolicy();
      const afterPolicy = await tenants().updateSettings(
        tenant._id,
        { mediaPolicy: { categories: { audio: { allowed: false } }, retentionDays: 7 } },
        at(SECOND),
      );
      const policy = {
        ...defaults,
        retentionDays: 7,
        categories: { ...defaults.categories, audio: { ...defaults.categories.audio, allowed: false } },
      };
      expect(afterPolicy).toStrictEqual({ ...tenant.settings, mediaPolicy: policy });

      const afterName = await tenants().updateSettings(
        tenant._id,
        { companyName: 'Acme Support', supportDomain: 'support.acme.example' },
        at(2 * SECOND),
      );
      const expected = {
        companyName: 'Acme Support',
        supportDomain: 'support.acme.example',
        defaultValidityHours: DEFAULT_VALIDITY_HOURS,
        mediaPolicy: policy,
        filesNeedSignIn: false,
      };
      expect(afterName).toStrictEqual(expected);
      expect(await tenants().getSettings(tenant._id)).toStrictEqual(expected);
      const signInOn = await tenants().updateSettings(tenant._id, { filesNeedSignIn: true }, at(3 * SECOND));
      expect(signInOn).toStrictEqual({ ...expected, filesNeedSignIn: true });
      expect(await tenants().getSettings(tenant._id)).toStrictEqual({ ...expected, filesNeedSignIn: true });
      expect(await tenants().updateSettings(newTenantId(), { companyName: 'Nobody' }, T0)).toBeNull();
    });

    it('lists every tenant id in id order', async () => {
      const created: string[] = [];
      for (const name of ['Acme', 'Globex', 'Initech'])
        created.push((await tenants().createTenant(name, T0))._id);
      created.push(await tenants().ensureBootstrapTenant(`${API_KEY_PREFIX}bootstrap-${newTenantId()}`, T0));
      // Each case has a store of its own, so these are all its tenants.
      expect(await tenants().listTenantIds()).toStrictEqual([...created].sort());
    });

    it('writes destinations only at the revision they were read at', async () => {
      const tenant = await tenants().createTenant('Acme', T0);
      expect(await tenants().readDestinations(tenant._id)).toStrictEqual({ stored: {}, revision: 0 });

      const first = webhook('https://hooks.acme.example/uplink');
      expect(await tenants().writeDestinations(tenant._id, 0, first, at(SECOND))).toStrictEqual({
        stored: first,
        revision: 1,
      });
      expect(await tenants().readDestinations(tenant._id)).toStrictEqual({ stored: first, revision: 1 });

      const stale = webhook('https://hooks.acme.example/stale');
      expect(await tenants().writeDestinations(tenant._id, 0, stale, at(2 * SECOND))).toBe('conflict');
      expect(await tenants().writeDestinations(tenant._id, 2, stale, at(2 * SECOND))).toBe('conflict');
      const second = webhook('https://hooks.acme.example/v2');
      expect(await tenants().writeDestinations(tenant._id, 1, second, at(3 * SECOND))).toStrictEqual({
        stored: second,
        revision: 2,
      });

      // Settings and destinations share the tenant's document; neither overwrites the other.
      await tenants().updateSettings(tenant._id, { companyName: 'Acme 2' }, at(4 * SECOND));
      expect(await tenants().readDestinations(tenant._id)).toStrictEqual({ stored: second, revision: 2 });
      expect((await tenants().getSettings(tenant._id))?.companyName).toBe('Acme 2');

      expect(await tenants().readDestinations(newTenantId())).toBeNull();
      expect(await tenants().writeDestinations(newTenantId(), 0, first, T0)).toBeNull();
    });
  });
}

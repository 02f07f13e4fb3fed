import { hashSecret, randomId } from '@uplink/kit';
import type { NewFileGrant, NewFileShare } from '@uplink/links';
import { describe, expect, it } from 'vitest';
import { at, type CurrentStore, HOUR, newTenantId, SECOND, T0, uploadedFile } from './fixtures.ts';

export function describeShares(store: CurrentStore): void {
  const shares = () => store().shares;
  const share = (overrides: Partial<NewFileShare> = {}): NewFileShare => ({
    tenantId: newTenantId(),
    linkId: randomId('lnk'),
    file: uploadedFile(),
    ttlMs: HOUR,
    now: T0,
    ...overrides,
  });

  describe('file shares', () => {
    it('finds a share by its token until it expires', async () => {
      const input = share();
      const { token, expiresAt } = await shares().create(input);
      expect(expiresAt).toEqual(at(HOUR));

      const found = await shares().findByTokenHash(hashSecret(token), at(HOUR - 1));
      expect(found.outcome).toBe('found');
      expect(found.outcome === 'found' ? found.share : null).toStrictEqual({
        _id: expect.any(String),
        tenantId: input.tenantId,
        linkId: input.linkId,
        uploadId: input.file.uploadId,
        blobName: input.file.blobName,
        etag: input.file.etag,
        fileName: input.file.fileName,
        contentType: input.file.contentType,
        category: input.file.category,
        size: input.file.size,
        createdAt: T0,
        expiresAt: at(HOUR),
      });
      expect(await shares().findByTokenHash(hashSecret(token), at(HOUR))).toEqual({ outcome: 'expired' });
      expect(await shares().findByTokenHash(hashSecret(`${token}x`), T0)).toEqual({ outcome: 'not_found' });
    });

    it("revokes a link's working shares, counts them, and answers 0 when repeated", async () => {
      const tenantId = newTenantId();
      const linkId = randomId('lnk');
      const first = await shares().create(share({ tenantId, linkId }));
      const second = await shares().create(share({ tenantId, linkId, ttlMs: 2 * HOUR }));
      const alreadyExpired = await shares().create(share({ tenantId, linkId, ttlMs: SECOND }));
      const otherLink = await shares().create(share({ tenantId }));
      const otherTenant = await shares().create(share({ linkId }));

      expect(await shares().revokeForLink(tenantId, linkId, at(10 * SECOND))).toBe(2);
      expect(await shares().revokeForLink(tenantId, linkId, at(11 * SECOND))).toBe(0);
      expect(await shares().findByTokenHash(hashSecret(first.token), at(10 * SECOND))).toEqual({
        outcome: 'revoked',
      });
      // Revoked wins over expired.
      expect(await shares().findByTokenHash(hashSecret(second.token), at(3 * HOUR))).toEqual({
        outcome: 'revoked',
      });
      expect(await shares().findByTokenHash(hashSecret(alreadyExpired.token), at(10 * SECOND))).toEqual({
        outcome: 'expired',
      });
      expect((await shares().findByTokenHash(hashSecret(otherLink.token), at(10 * SECOND))).outcome).toBe(
        'found',
      );
      expect((await shares().findByTokenHash(hashSecret(otherTenant.token), at(10 * SECOND))).outcome).toBe(
        'found',
      );
    });

    it('purges shares that expired before the given time', async () => {
      const expiredEarlier = await shares().create(share({ ttlMs: SECOND }));
      const expiringAtCutoff = await shares().create(share({ ttlMs: 2 * SECOND }));
      const working = await shares().create(share({ ttlMs: HOUR }));

      expect(await shares().purgeExpired(at(2 * SECOND))).toBe(1);
      expect(await shares().findByTokenHash(hashSecret(expiredEarlier.token), T0)).toEqual({
        outcome: 'not_found',
      });
      expect((await shares().findByTokenHash(hashSecret(expiringAtCutoff.token), T0)).outcome).toBe('found');
      expect((await shares().findByTokenHash(hashSecret(working.token), T0)).outcome).toBe('found');
      expect(await shares().purgeExpired(at(2 * SECOND))).toBe(0);
    });
  });

  describe('file grants', () => {
    const grant = (overrides: Partial<NewFileGrant> = {}): NewFileGrant => ({
      tenantId: newTenantId(),
      shareId: hashSecret(randomId('share')),
      sessionId: randomId('ses'),
      ttlMs: 60 * SECOND,
      now: T0,
      ...overrides,
    });

    it('gives a grant once: the first use gets the share it was minted for, every later one nothing', async () => {
      const input = grant();
      const { token, expiresAt } = await shares().createGrant(input);
      expect(token).toMatch(/^ufg_[A-Za-z0-9_-]{40,}$/);
      expect(expiresAt).toEqual(at(60 * SECOND));
      // Stored by its hash only: the token itself opens nothing.
      expect(await shares().consumeGrant(token, T0)).toBeNull();

      expect(await shares().consumeGrant(hashSecret(token), at(59 * SECOND))).toStrictEqual({
        _id: hashSecret(token),
        tenantId: input.tenantId,
        shareId: input.shareId,
        sessionId: input.sessionId,
        createdAt: T0,
        expiresAt: at(60 * SECOND),
      });
      expect(await shares().consumeGrant(hashSecret(token), at(59 * SECOND))).toBeNull();
    });

    it('opens nothing once expired, and is gone after that attempt too', async () => {
      const { token } = await shares().createGrant(grant());
      expect(await shares().consumeGrant(hashSecret(token), at(60 * SECOND))).toBeNull();
      expect(await shares().consumeGrant(hashSecret(token), at(SECOND))).toBeNull();
    });

    it('goes to exactly one of many concurrent uses', async () => {
      const { token } = await shares().createGrant(grant());
      const uses = await Promise.all(
        Array.from({ length: 8 }, () => shares().consumeGrant(hashSecret(token), at(SECOND))),
      );
      expect(uses.filter((use) => use !== null)).toHaveLength(1);
    });

    it('purges the grants that expired unused with the shares, and only those', async () => {
      const expired = await shares().createGrant(grant({ ttlMs: SECOND }));
      const valid = await shares().createGrant(grant({ ttlMs: 60 * SECOND }));
      expect(await shares().purgeExpired(at(2 * SECOND))).toBe(1);
      expect(await shares().purgeExpired(at(2 * SECOND))).toBe(0);
      expect(await shares().consumeGrant(hashSecret(expired.token), T0)).toBeNull();
      expect(await shares().consumeGrant(hashSecret(valid.token), at(2 * SECOND))).not.toBeNull();
    });
  });
}

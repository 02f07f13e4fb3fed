import { Subjects } from '@uplink/contracts';
import type { LinkDocument } from '@uplink/links';
import { describe, expect, it } from 'vitest';
import {
  agentActor,
  at,
  type CurrentStore,
  HOUR,
  keyActor,
  newLink,
  newTenantId,
  receivedLink,
  SECOND,
  subjects,
  T0,
  target,
  uploadedFile,
  withoutOutbox,
} from './fixtures.ts';

const LEASE_MS = 30 * SECOND;

/**
 * `storeAsLegacyUpload` rewrites a received link as links received before a submission could
 * hold several files were stored (see Adapter).
 */
export function describeLinkTransitions(
  store: CurrentStore,
  storeAsLegacyUpload: (linkId: string) => Promise<void>,
): void {
  const pendingLink = async (): Promise<LinkDocument> =>
    (await store().links.create(newLink(newTenantId()))).link;
  const stored = (link: LinkDocument) => store().links.getById(link._id);

  describe('links: pending -> revoked / expired / received', () => {
    it('revokes a pending link once; the result carries its outbox', async () => {
      const link = await pendingLink();
      const result = await store().links.revoke(link.tenantId, link._id, keyActor, at(SECOND));
      expect(result.outcome).toBe('revoked');
      const revoked = result.outcome === 'revoked' ? result.link : null;
      expect(revoked).toMatchObject({
        status: 'revoked',
        revokedAt: at(SECOND),
        revokedBy: keyActor,
        updatedAt: at(SECOND),
        createdBy: agentActor,
      });
      expect(subjects(revoked)).toEqual([Subjects.linkCreated, Subjects.linkRevoked]);
      expect(revoked?.outbox?.map((entry) => entry.event.data)).toMatchObject([
        { createdBy: agentActor },
        { revokedBy: keyActor },
      ]);
      expect(await stored(link)).toStrictEqual(revoked && withoutOutbox(revoked));

      const again = await store().links.revoke(link.tenantId, link._id, keyActor, at(2 * SECOND));
      expect(again).toStrictEqual({ outcome: 'not_pending', link: revoked && withoutOutbox(revoked) });
    });

    it('refuses to revoke or receive once expiresAt is reached, by the clock passed in', async () => {
      const link = await pendingLink();
      const expiry = link.expiresAt;
      const revoke = await store().links.revoke(link.tenantId, link._id, keyActor, expiry);
      expect(revoke).toStrictEqual({
        outcome: 'not_pending',
        link: { ...withoutOutbox(link), status: 'expired' },
      });
      expect(await store().links.markReceived(link, { files: [uploadedFile()] }, expiry)).toBeNull();
      expect(await stored(link)).toStrictEqual(withoutOutbox(link));
      // One millisecond earlier the link is still open.
      expect(
        await store().links.markReceived(link, { files: [uploadedFile()] }, at(HOUR - 1)),
      ).not.toBeNull();
    });

    it('expires only when expiresAt <= now, once', async () => {
      const link = await pendingLink();
      expect(await store().links.expire(link, at(HOUR - 1))).toBeNull();
      const expired = await store().links.expire(link, at(HOUR));
      expect(expired).toMatchObject({ status: 'expired', expiredAt: at(HOUR), updatedAt: at(HOUR) });
      expect(subjects(expired)).toEqual([Subjects.linkCreated, Subjects.linkExpired]);
      expect(await stored(link)).toStrictEqual(expired && withoutOutbox(expired));
      expect(await store().links.expire(link, at(2 * HOUR))).toBeNull();
    });

    it("receives a pending link once, with every file of the submission and the customer's message", async () => {
      const link = await pendingLink();
      const files = [uploadedFile(), uploadedFile(), uploadedFile()];
      const customerMessage = 'Three photos of the label.\nThe last one is the back.';
      const received = await store().links.markReceived(link, { files, customerMessage }, at(SECOND));
      expect(received).toMatchObject({
        status: 'received',
        files,
        customerMessage,
        receivedAt: at(SECOND),
        updatedAt: at(SECOND),
      });
      expect(subjects(received)).toEqual([Subjects.linkCreated, Subjects.uploadCompleted]);
      // One event for the whole submission, listing every file in order, with the message.
      const completed = received?.outbox?.[1]?.event;
      expect(completed).toMatchObject({ schemaVersion: 2, data: { files, customerMessage } });
      for (const file of files) expect(await store().links.hasReceived(link._id, file.uploadId)).toBe(true);
      expect(await stored(link)).toStrictEqual(received && withoutOutbox(received));
      expect(await store().links.markReceived(link, { files: [uploadedFile()] }, at(SECOND))).toBeNull();
      expect(await store().links.expire(link, at(2 * HOUR))).toBeNull();
      expect((await store().links.revoke(link.tenantId, link._id, keyActor, at(SECOND))).outcome).toBe(
        'not_pending',
      );
    });

    it('lets exactly one of 50 concurrent completions win', async () => {
      const link = await pendingLink();
      const files = Array.from({ length: 50 }, () => uploadedFile());
      const results = await Promise.all(
        files.map((file) => store().links.markReceived(link, { files: [file] }, T0)),
      );
      const winners = results.filter((result) => result !== null);
      expect(winners).toHaveLength(1);
      expect((await stored(link))?.files).toEqual(winners[0]?.files);
      expect(subjects(winners[0] ?? null)).toEqual([Subjects.linkCreated, Subjects.uploadCompleted]);
      expect(await store().links.outbox.entries(link._id)).toHaveLength(2);
    });

    it('keeps no customer message when there is none', async () => {
      const received = await store().links.markReceived(await pendingLink(), { files: [uploadedFile()] }, T0);
      expect(received && 'customerMessage' in received).toBe(false);
      expect(received?.outbox?.[1]?.event.data).not.toHaveProperty('customerMessage');
    });

    it('reads a link received before submissions held several files with its one upload as its files', async () => {
      const link = await receivedLink(store());
      const [file] = link.files ?? [];
      await storeAsLegacyUpload(link._id);
      const legacy = await stored(link);
      expect(legacy?.files).toStrictEqual([file]);
      expect(legacy).not.toHaveProperty('upload');
      expect(await store().links.hasReceived(link._id, file?.uploadId ?? '')).toBe(true);
      // Its transitions carry on, and what they write is read the same way.
      await store().links.claimDelivery(link._id, T0, LEASE_MS);
      const delivered = await store().links.markDelivered(link, target, at(SECOND));
      expect(delivered?.files).toStrictEqual([file]);
      expect((await stored(link))?.files).toStrictEqual([file]);
      expect(await store().links.findFilesPastRetention(link.tenantId, at(2 * SECOND), 10)).toMatchObject([
        { _id: link._id, files: [file] },
      ]);
    });
  });

  describe('links: delivery', () => {
    it('lets one of 20 concurrent claims hold the lease, until it runs out', async () => {
      const link = await receivedLink(store());
      const claims = await Promise.all(
        Array.from({ length: 20 }, () => store().links.claimDelivery(link._id, T0, LEASE_MS)),
      );
      const winners = claims.filter((claim) => claim !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]?.delivery).toStrictEqual({ attempts: 1, leaseUntil: at(LEASE_MS) });
      expect(subjects(winners[0] ?? null)).toEqual([Subjects.linkCreated, Subjects.uploadCompleted]);

      expect(await store().links.claimDelivery(link._id, at(LEASE_MS - 1), LEASE_MS)).toBeNull();
      const second = await store().links.claimDelivery(link._id, at(LEASE_MS), LEASE_MS);
      expect(second?.delivery).toStrictEqual({ attempts: 2, leaseUntil: at(2 * LEASE_MS) });
      expect(await stored(link)).toStrictEqual(second && withoutOutbox(second));
    });

    it('claims only received links', async () => {
      const link = await pendingLink();
      expect(await store().links.claimDelivery(link._id, T0, LEASE_MS)).toBeNull();
      expect(await store().links.claimDelivery('lnk_AAAAAAAAAAAAAAAAAAAA', T0, LEASE_MS)).toBeNull();
    });

    it('gives the lease back on release, so the next attempt may claim at once', async () => {
      const link = await receivedLink(store());
      await store().links.claimDelivery(link._id, T0, LEASE_MS);
      await store().links.releaseDelivery(link._id, `helpdesk said no ${'x'.repeat(2000)}`, at(SECOND));
      const released = await stored(link);
      expect(released?.delivery?.leaseUntil).toEqual(at(SECOND));
      expect(released?.delivery?.lastError).toHaveLength(1000);
      expect(released?.updatedAt).toEqual(at(SECOND));

      const retry = await store().links.claimDelivery(link._id, at(SECOND), LEASE_MS);
      expect(retry?.delivery).toMatchObject({ attempts: 2, leaseUntil: at(SECOND + LEASE_MS) });
    });

    it('marks delivered only from received, once', async () => {
      // The caller's copy says received; the stored link is still pending.
      const pending = { ...(await pendingLink()), files: [uploadedFile()] };
      expect(await store().links.markDelivered(pending, target, T0)).toBeNull();

      const link = await receivedLink(store());
      await store().links.claimDelivery(link._id, T0, LEASE_MS);
      const delivered = await store().links.markDelivered(link, target, at(SECOND));
      expect(delivered).toMatchObject({
        status: 'delivered',
        deliveredAt: at(SECOND),
        delivery: { attempts: 1, leaseUntil: at(LEASE_MS), target },
      });
      expect(subjects(delivered)).toEqual([
        Subjects.linkCreated,
        Subjects.uploadCompleted,
        Subjects.notePosted,
      ]);
      expect(await stored(link)).toStrictEqual(delivered && withoutOutbox(delivered));
      expect(await store().links.markDelivered(link, target, at(SECOND))).toBeNull();
      expect(await store().links.markDeliveryFailed(link, 'freshdesk', 'late', at(SECOND))).toBeNull();
      expect(await store().links.claimDelivery(link._id, at(HOUR), LEASE_MS)).toBeNull();
    });

    it('marks delivery failed only from received, once, with the reason cut to 1000 characters', async () => {
      const pending = { ...(await pendingLink()), files: [uploadedFile()] };
      expect(await store().links.markDeliveryFailed(pending, 'freshdesk', 'no', T0)).toBeNull();

      const link = await receivedLink(store());
      const failed = await store().links.markDeliveryFailed(link, 'freshdesk', 'r'.repeat(1500), at(SECOND));
      expect(failed).toMatchObject({ status: 'delivery_failed', deliveryFailedAt: at(SECOND) });
      expect(failed?.delivery?.reason).toBe('r'.repeat(1000));
      expect(subjects(failed)).toEqual([Subjects.linkCreated, Subjects.uploadCompleted, Subjects.noteFailed]);
      expect(await stored(link)).toStrictEqual(failed && withoutOutbox(failed));
      expect(await store().links.markDeliveryFailed(link, 'freshdesk', 'again', at(SECOND))).toBeNull();
      expect(await store().links.markDelivered(link, target, at(SECOND))).toBeNull();
    });
  });

  describe('links: rejected attempts', () => {
    it('notes a rejected attempt once per pending link', async () => {
      const link = await pendingLink();
      const noted = await store().links.noteRejectedAttempt(link, at(SECOND));
      expect(noted).toMatchObject({
        status: 'pending',
        rejectionNotifiedAt: at(SECOND),
        updatedAt: at(SECOND),
      });
      expect(subjects(noted)).toEqual([Subjects.linkCreated, Subjects.uploadRejected]);
      expect(await store().links.noteRejectedAttempt(link, at(2 * SECOND))).toBeNull();
      // Still pending: the customer may send once receiving is on again.
      expect(
        await store().links.markReceived(link, { files: [uploadedFile()] }, at(3 * SECOND)),
      ).not.toBeNull();
    });

    it('does not note a rejected attempt on a link that is no longer pending', async () => {
      const link = await receivedLink(store());
      expect(await store().links.noteRejectedAttempt(link, at(SECOND))).toBeNull();
    });
  });

  describe('links: blocked uploads', () => {
    const blocked = (name: string, seconds: number) => ({
      uploadId: `upl_${name.padEnd(20, '0')}`,
      fileName: 'invoice.pdf',
      signature: 'Win.Trojan.Agent-1234',
      blockedAt: at(seconds * SECOND),
    });

    it('records the last blocked upload on a pending link, each with its own upload.blocked event', async () => {
      const link = await pendingLink();
      const first = await store().links.noteBlockedUpload(link, blocked('first', 1));
      expect(first).toMatchObject({
        status: 'pending',
        blockedUpload: blocked('first', 1),
        updatedAt: at(SECOND),
      });
      const second = await store().links.noteBlockedUpload(link, blocked('second', 2));
      expect(second?.blockedUpload).toStrictEqual(blocked('second', 2));
      expect(subjects(second)).toEqual([
        Subjects.linkCreated,
        Subjects.uploadBlocked,
        Subjects.uploadBlocked,
      ]);
      expect(new Set(second?.outbox?.map((entry) => entry.eventId)).size).toBe(3);
      expect(await stored(link)).toStrictEqual(second && withoutOutbox(second));
      // Still usable: the customer may send a clean file.
      expect(
        await store().links.markReceived(link, { files: [uploadedFile()] }, at(3 * SECOND)),
      ).not.toBeNull();
    });

    it('records nothing on a link that is no longer pending or is past its expiry', async () => {
      const received = await receivedLink(store());
      expect(await store().links.noteBlockedUpload(received, blocked('late', 1))).toBeNull();
      const pending = await pendingLink();
      expect(
        await store().links.noteBlockedUpload(pending, {
          ...blocked('late', 0),
          blockedAt: pending.expiresAt,
        }),
      ).toBeNull();
    });
  });
}

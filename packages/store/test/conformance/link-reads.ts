import { Subjects } from '@uplink/contracts';
import { hashSecret } from '@uplink/kit';
import type { LinkDocument } from '@uplink/links';
import { describe, expect, it } from 'vitest';
import {
  at,
  type CurrentStore,
  HOUR,
  keyActor,
  newLink,
  newTenantId,
  SECOND,
  T0,
  target,
  ticket,
  uploadedFile,
  withoutOutbox,
} from './fixtures.ts';

export function describeLinkReads(store: CurrentStore): void {
  /** A link received at T0 whose delivery then ended at `settledAt`, as stored. */
  const settledLink = async (
    outcome: 'delivered' | 'delivery_failed',
    settledAt: Date,
    tenantId = newTenantId(),
  ): Promise<LinkDocument> => {
    const links = store().links;
    const { link } = await links.create(newLink(tenantId));
    const received = await links.markReceived(link, { files: [uploadedFile()] }, T0);
    const claimed = await links.claimDelivery(link._id, T0, 30 * SECOND);
    if (!received || !claimed) throw new Error('fixture: a fresh link could not be received and claimed');
    const settled =
      outcome === 'delivered'
        ? await links.markDelivered(claimed, target, settledAt)
        : await links.markDeliveryFailed(claimed, 'freshdesk', 'No Freshdesk destination.', settledAt);
    if (!settled) throw new Error(`fixture: the link could not be marked ${outcome}`);
    return withoutOutbox(settled);
  };

  describe('links: create and read', () => {
    it('creates a pending link whose outbox holds link.created, and reads it back exactly', async () => {
      const tenantId = newTenantId();
      const { link, token } = await store().links.create(
        newLink(tenantId, { contextMessage: 'Please send the photo', validityHours: 4 }),
      );
      expect(link).toMatchObject({ tenantId, status: 'pending', createdAt: T0, expiresAt: at(4 * HOUR) });
      expect(link.outbox?.map((entry) => entry.subject)).toEqual([Subjects.linkCreated]);

      const stored = withoutOutbox(link);
      const read = await store().links.get(tenantId, link._id);
      expect(read).toStrictEqual(stored);
      expect(read?.createdAt).toBeInstanceOf(Date);
      expect(read).not.toHaveProperty('outbox');
      expect(await store().links.getById(link._id)).toStrictEqual(stored);
      expect(await store().links.findByTokenHash(hashSecret(token))).toStrictEqual(stored);
    });

    it('stores the audit entry a creation is given, made from the new link', async () => {
      const tenantId = newTenantId();
      const { link } = await store().links.create(newLink(tenantId, { createdBy: keyActor }), (created) => ({
        action: 'link.created',
        actor: keyActor,
        linkId: created._id,
        details: { ticket: `${created.ticket.provider}:${created.ticket.id}` },
        at: T0,
      }));
      const entries = await store().audit.list(tenantId, { linkId: link._id, limit: 10 });
      expect(entries).toMatchObject([
        {
          seq: 1,
          action: 'link.created',
          actor: keyActor,
          linkId: link._id,
          details: { ticket: `${link.ticket.provider}:${link.ticket.id}` },
        },
      ]);
      // Without one, a creation leaves no entry.
      await store().links.create(newLink(tenantId));
      expect(await store().audit.list(tenantId, { limit: 10 })).toHaveLength(1);
    });

    it('keeps tenants apart and answers null for what does not exist', async () => {
      const { link, token } = await store().links.create(newLink(newTenantId()));
      expect(await store().links.get(newTenantId(), link._id)).toBeNull();
      expect(await store().links.get(link.tenantId, 'lnk_AAAAAAAAAAAAAAAAAAAA')).toBeNull();
      expect(await store().links.getById('lnk_AAAAAAAAAAAAAAAAAAAA')).toBeNull();
      expect(await store().links.findByTokenHash(hashSecret(`${token}x`))).toBeNull();
      expect(await store().links.revoke(newTenantId(), link._id, keyActor, T0)).toEqual({
        outcome: 'not_found',
      });
    });

    it("lists a ticket's links newest first, ties by id descending, within the tenant and limit", async () => {
      const tenantId = newTenantId();
      const shared = ticket();
      const create = async (offsetMs: number) =>
        (await store().links.create(newLink(tenantId, { ticket: shared, now: at(offsetMs) }))).link;
      const oldest = await create(0);
      const tiedA = await create(1000);
      const tiedB = await create(1000);
      const newest = await create(2000);
      await store().links.create(newLink(tenantId, { ticket: ticket() }));
      await store().links.create(newLink(newTenantId(), { ticket: shared }));
      await store().links.create(newLink(tenantId, { ticket: { provider: 'webhook', id: shared.id } }));

      const tied = [tiedA, tiedB].sort((a, b) => (a._id < b._id ? 1 : -1));
      const expected = [newest, ...tied, oldest].map(withoutOutbox);
      expect(await store().links.listByTicket(tenantId, shared, 10)).toStrictEqual(expected);
      expect(await store().links.listByTicket(tenantId, shared, 2)).toStrictEqual(expected.slice(0, 2));
    });

    it('answers hasReceived only for the upload the link was received with', async () => {
      const { link } = await store().links.create(newLink(newTenantId()));
      const file = uploadedFile();
      expect(await store().links.hasReceived(link._id, file.uploadId)).toBe(false);
      await store().links.markReceived(link, { files: [file] }, T0);
      expect(await store().links.hasReceived(link._id, file.uploadId)).toBe(true);
      expect(await store().links.hasReceived(link._id, uploadedFile().uploadId)).toBe(false);
      expect(await store().links.hasReceived('lnk_AAAAAAAAAAAAAAAAAAAA', file.uploadId)).toBe(false);
    });

    it('finds pending links due before a time, soonest first, as LinkFacts, never other states', async () => {
      const tenantId = newTenantId();
      const create = async (expiresInMs: number) =>
        (await store().links.create(newLink(tenantId, { expiresAt: at(expiresInMs) }))).link;
      const third = await create(3000);
      const first = await create(1000);
      const second = await create(2000);
      await create(5000); // not due
      const revoked = await create(500);
      await store().links.revoke(tenantId, revoked._id, keyActor, T0);
      const received = await create(600);
      await store().links.markReceived(received, { files: [uploadedFile()] }, T0);
      const expired = await create(700);
      await store().links.expire(expired, at(700));

      const facts = [first, second, third].map(({ _id, tenantId, shortId, ticket, expiresAt }) => ({
        _id,
        tenantId,
        shortId,
        ticket,
        expiresAt,
      }));
      expect(await store().links.findPendingDueBefore(at(4000), 10)).toStrictEqual(facts);
      expect(await store().links.findPendingDueBefore(at(4000), 2)).toStrictEqual(facts.slice(0, 2));
      // Due means expiresAt <= before.
      expect(await store().links.findPendingDueBefore(at(1000), 10)).toStrictEqual(facts.slice(0, 1));
      expect(await store().links.findPendingDueBefore(at(999), 10)).toEqual([]);
    });

    it('finds the kept files of links delivered or failed before a time, oldest first, ties by id', async () => {
      const tenantId = newTenantId();
      const links = store().links;
      const delivered = await settledLink('delivered', at(SECOND), tenantId);
      const failed = await settledLink('delivery_failed', at(2 * SECOND), tenantId);
      const tiedA = await settledLink('delivered', at(3 * SECOND), tenantId);
      const tiedB = await settledLink('delivery_failed', at(3 * SECOND), tenantId);
      const latest = await settledLink('delivery_failed', at(4 * SECOND), tenantId);
      const atCutoff = await settledLink('delivered', at(5 * SECOND), tenantId);
      await settledLink('delivery_failed', at(6 * SECOND), tenantId);
      // Never: another tenant's, and links whose delivery has not ended.
      await settledLink('delivered', at(SECOND));
      await settledLink('delivery_failed', at(SECOND));
      const create = async () => (await links.create(newLink(tenantId))).link;
      await create();
      await links.markReceived(await create(), { files: [uploadedFile()] }, T0);
      await links.expire(await create(), at(2 * HOUR));
      await links.revoke(tenantId, (await create())._id, keyActor, T0);

      const tied = [tiedA, tiedB].sort((a, b) => (a._id < b._id ? -1 : 1));
      const expected = [delivered, failed, ...tied, latest];
      // Strictly before: the link settled exactly at the cutoff is not yet due.
      expect(await links.findFilesPastRetention(tenantId, at(5 * SECOND), 10)).toStrictEqual(expected);
      expect(await links.findFilesPastRetention(tenantId, at(5 * SECOND + 1), 10)).toStrictEqual([
        ...expected,
        atCutoff,
      ]);
      expect(await links.findFilesPastRetention(tenantId, at(5 * SECOND), 2)).toStrictEqual(
        expected.slice(0, 2),
      );
      expect(await links.findFilesPastRetention(tenantId, at(5 * SECOND), 3)).toStrictEqual(
        expected.slice(0, 3),
      );
      expect(await links.findFilesPastRetention(tenantId, at(SECOND), 10)).toEqual([]);
      expect(await links.findFilesPastRetention(newTenantId(), at(HOUR), 10)).toEqual([]);
    });

    it('marks a file deleted once, keeping the status and queuing nothing; the link is found no more', async () => {
      const tenantId = newTenantId();
      const links = store().links;
      const delivered = await settledLink('delivered', at(SECOND), tenantId);
      const failed = await settledLink('delivery_failed', at(2 * SECOND), tenantId);
      const outbox = await links.outbox.entries(delivered._id);

      expect(await links.markFileDeleted(delivered._id, at(HOUR))).toBe(true);
      const deleted = { ...delivered, fileDeletedAt: at(HOUR), updatedAt: at(HOUR) };
      expect(await links.getById(delivered._id)).toStrictEqual(deleted);
      expect(await links.outbox.entries(delivered._id)).toStrictEqual(outbox);
      expect(await links.findFilesPastRetention(tenantId, at(HOUR), 10)).toStrictEqual([failed]);

      expect(await links.markFileDeleted(delivered._id, at(2 * HOUR))).toBe(false);
      expect(await links.getById(delivered._id)).toStrictEqual(deleted);
      expect(await links.markFileDeleted(failed._id, at(HOUR))).toBe(true);
      expect((await links.getById(failed._id))?.status).toBe('delivery_failed');
      expect(await links.findFilesPastRetention(tenantId, at(HOUR), 10)).toEqual([]);
      expect(await links.markFileDeleted('lnk_AAAAAAAAAAAAAAAAAAAA', at(HOUR))).toBe(false);
    });

    it('lets exactly one of concurrent markFileDeleted calls record the deletion', async () => {
      const link = await settledLink('delivered', at(SECOND));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store().links.markFileDeleted(link._id, at(HOUR + i))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = at(HOUR + results.indexOf(true));
      expect(await store().links.getById(link._id)).toMatchObject({
        status: 'delivered',
        fileDeletedAt: winner,
      });
    });

    it('counts links by stored status across tenants, every status present', async () => {
      const none = {
        pending: 0,
        expired: 0,
        revoked: 0,
        received: 0,
        delivered: 0,
        delivery_failed: 0,
      };
      expect(await store().links.countByStatus()).toEqual(none);
      const links = store().links;
      const create = async (tenantId = newTenantId()) => (await links.create(newLink(tenantId))).link;
      await create();
      await create();
      // Past expiresAt but not moved yet: still stored as pending.
      await links.create(newLink(newTenantId(), { expiresAt: at(-1000) }));
      const revoked = await create();
      await links.revoke(revoked.tenantId, revoked._id, keyActor, T0);
      const expired = await create();
      await links.expire(expired, at(2 * HOUR));
      const delivered = await links.markReceived(await create(), { files: [uploadedFile()] }, T0);
      const failed = await links.markReceived(await create(), { files: [uploadedFile()] }, T0);
      await links.markReceived(await create(), { files: [uploadedFile()] }, T0);
      if (!delivered || !failed) throw new Error('fixture: markReceived refused a fresh link');
      await links.markDelivered(delivered, target, T0);
      await links.markDeliveryFailed(failed, 'freshdesk', 'No Freshdesk destination.', T0);

      expect(await links.countByStatus()).toEqual({
        ...none,
        pending: 3,
        expired: 1,
        revoked: 1,
        received: 1,
        delivered: 1,
        delivery_failed: 1,
      });
    });
  });
}

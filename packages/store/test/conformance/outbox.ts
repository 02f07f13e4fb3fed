import { Subjects } from '@uplink/contracts';
import { describe, expect, it } from 'vitest';
import { at, type CurrentStore, newLink, newTenantId, SECOND, T0, target, uploadedFile } from './fixtures.ts';

const LEASE_MS = 30 * SECOND;

export function describeOutbox(store: CurrentStore): void {
  const outbox = () => store().links.outbox;
  const createdAt = async (offsetMs: number) =>
    (await store().links.create(newLink(newTenantId(), { now: at(offsetMs) }))).link;
  const sorted = (ids: string[]) => [...ids].sort();

  describe("links' outbox", () => {
    it('keeps entries in the order the transitions added them, as the returned documents carry them', async () => {
      const link = await createdAt(0);
      const received = await store().links.markReceived(link, { files: [uploadedFile()] }, at(SECOND));
      if (!received) throw new Error('expected the link to be received');
      await store().links.claimDelivery(link._id, at(SECOND), LEASE_MS);
      const delivered = await store().links.markDelivered(received, target, at(2 * SECOND));

      const entries = await outbox().entries(link._id);
      expect(entries.map((entry) => entry.subject)).toEqual([
        Subjects.linkCreated,
        Subjects.uploadCompleted,
        Subjects.notePosted,
      ]);
      expect(entries).toStrictEqual(delivered?.outbox);
      expect(entries.slice(0, 2)).toStrictEqual(received.outbox);
      expect(entries[0]).toStrictEqual(link.outbox?.[0]);
      expect(entries.map((entry) => entry.createdAt)).toEqual([T0, at(SECOND), at(2 * SECOND)]);
      expect(entries[1]?.eventId).toBe(`${link._id}:${Subjects.uploadCompleted}`);
      expect(await outbox().entries('lnk_AAAAAAAAAAAAAAAAAAAA')).toEqual([]);
    });

    it('removes exactly the entries it is given, and an entry already gone is no error', async () => {
      const link = await createdAt(0);
      const received = await store().links.markReceived(link, { files: [uploadedFile()] }, at(SECOND));
      if (!received) throw new Error('expected the link to be received');
      await store().links.markDeliveryFailed(received, 'freshdesk', 'no', at(2 * SECOND));
      const [first, second, third] = await outbox().entries(link._id);
      if (!first || !second || !third) throw new Error('expected three entries');

      await outbox().remove([
        { docId: link._id, entry: first },
        { docId: link._id, entry: second },
      ]);
      expect(await outbox().entries(link._id)).toStrictEqual([third]);
      await outbox().remove([{ docId: link._id, entry: first }]);
      await outbox().remove([]);
      expect(await outbox().entries(link._id)).toStrictEqual([third]);

      await outbox().remove([{ docId: link._id, entry: third }]);
      expect(await outbox().entries(link._id)).toEqual([]);
    });

    it('reports documents with entries created at or before the stale time', async () => {
      const old = await createdAt(0);
      const young = await createdAt(10 * SECOND);
      const published = await createdAt(0);
      await outbox().remove(
        (await outbox().entries(published._id)).map((entry) => ({ docId: published._id, entry })),
      );

      const now = at(20 * SECOND);
      expect(await outbox().staleDocuments(at(5 * SECOND), now, 10)).toEqual([old._id]);
      expect(sorted(await outbox().staleDocuments(at(10 * SECOND), now, 10))).toEqual(
        sorted([old._id, young._id]),
      );
      expect(await outbox().staleDocuments(at(10 * SECOND), now, 1)).toHaveLength(1);
      expect(await outbox().staleDocuments(at(-1), now, 10)).toEqual([]);
    });

    it('leaves documents leased to a sweeper out of the stale ones until the lease ends', async () => {
      const leased = await createdAt(0);
      const free = await createdAt(0);
      const now = at(SECOND);
      expect(await outbox().claim(leased._id, now, at(SECOND + LEASE_MS))).toBe(true);

      expect(await outbox().staleDocuments(T0, now, 10)).toEqual([free._id]);
      expect(await outbox().staleDocuments(T0, at(SECOND + LEASE_MS - 1), 10)).toEqual([free._id]);
      expect(sorted(await outbox().staleDocuments(T0, at(SECOND + LEASE_MS), 10))).toEqual(
        sorted([leased._id, free._id]),
      );
    });

    it('claims a document for one sweeper at a time, until its lease ends', async () => {
      const link = await createdAt(0);
      const claims = await Promise.all(
        Array.from({ length: 10 }, () => outbox().claim(link._id, T0, at(LEASE_MS))),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await outbox().claim(link._id, at(LEASE_MS - 1), at(2 * LEASE_MS))).toBe(false);
      expect(await outbox().claim(link._id, at(LEASE_MS), at(2 * LEASE_MS))).toBe(true);
      expect(await outbox().claim('lnk_AAAAAAAAAAAAAAAAAAAA', T0, at(LEASE_MS))).toBe(false);
      // The lease does not stop the link's own transitions.
      expect(await store().links.markReceived(link, { files: [uploadedFile()] }, at(SECOND))).not.toBeNull();
    });

    it('releases the lease its sweeper took once published, and not a lease taken after it ran out', async () => {
      const link = await createdAt(0);
      expect(await outbox().claim(link._id, T0, at(LEASE_MS))).toBe(true);
      await outbox().release(link._id, at(LEASE_MS));
      expect((await store().links.getById(link._id))?.outboxLeaseUntil).toBeUndefined();
      expect(await outbox().staleDocuments(T0, at(SECOND), 10)).toEqual([link._id]);
      expect(await outbox().claim(link._id, at(SECOND), at(SECOND + LEASE_MS))).toBe(true);

      // That lease ran out and another sweeper took the document: the first one's late release
      // leaves the second's lease in place.
      const secondUntil = at(SECOND + 2 * LEASE_MS);
      expect(await outbox().claim(link._id, at(SECOND + LEASE_MS), secondUntil)).toBe(true);
      await outbox().release(link._id, at(SECOND + LEASE_MS));
      expect((await store().links.getById(link._id))?.outboxLeaseUntil).toEqual(secondUntil);
      expect(await outbox().staleDocuments(T0, at(2 * SECOND + LEASE_MS), 10)).toEqual([]);
      await outbox().release('lnk_AAAAAAAAAAAAAAAAAAAA', secondUntil);
    });
  });
}

// The tenant's retention: files are deleted from storage `retentionDays` after their delivery
// ended, read from the settings at each sweep. Real MongoDB-wire server and Azurite; the links
// are driven through the store's own transitions, with times in the past.
import { randomBytes } from 'node:crypto';
import type { UploadedFile } from '@uplink/contracts';
import { randomId } from '@uplink/kit';
import { MongoFileShareStore } from '@uplink/links';
import { MongoTenantStore } from '@uplink/tenants';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRetention } from '../src/file-retention.ts';
import { type GatewayHarness, startGateway } from './harness.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = new Date();
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

let gateway: GatewayHarness;
let shares: MongoFileShareStore;
let tenants: MongoTenantStore;

beforeAll(async () => {
  gateway = await startGateway();
  shares = new MongoFileShareStore(gateway.infra.mongo.db);
  tenants = new MongoTenantStore(gateway.infra.mongo.db);
}, 60_000);
afterAll(() => gateway?.close());

type Kept = { linkId: string; tenantId: string; blobName: string; viewerToken: string };

/** A link whose file was received and whose delivery ended `settledDaysAgo`, with a viewer link. */
async function settledLink(
  settledDaysAgo: number,
  outcome: 'delivered' | 'failed',
  tenantId = gateway.tenantId,
): Promise<Kept> {
  const at = daysAgo(settledDaysAgo);
  const { link } = await gateway.links.create({
    tenantId,
    ticket: { provider: 'webhook', id: `retention-${randomId('t', 8)}` },
    validityHours: 2,
    now: new Date(at.getTime() - 60_000),
  });
  const uploadId = randomId('upl');
  const blobName = `${tenantId}/${uploadId}`;
  const bytes = randomBytes(1024);
  const uploaded = await gateway.container.getBlockBlobClient(blobName).uploadData(bytes);
  const file: UploadedFile = {
    uploadId,
    kind: 'file',
    fileName: 'label.pdf',
    contentType: 'application/pdf',
    category: 'document',
    size: bytes.length,
    container: gateway.container.containerName,
    blobName,
    etag: uploaded.etag ?? '"0x0"',
  };
  const received = await gateway.links.markReceived(link, file, at);
  if (!received) throw new Error('not received');
  const claimed = await gateway.links.claimDelivery(link._id, at, 60_000);
  if (!claimed) throw new Error('not claimed');
  const settled =
    outcome === 'delivered'
      ? await gateway.links.markDelivered(
          claimed,
          { destination: 'webhook', noteId: randomId('dlv'), url: null, mode: 'attachment' },
          at,
        )
      : await gateway.links.markDeliveryFailed(claimed, 'webhook', 'No webhook destination.', at);
  if (!settled) throw new Error('not settled');
  const { token } = await shares.create({ tenantId, linkId: link._id, file, ttlMs: 60 * DAY_MS, now: at });
  return { linkId: link._id, tenantId, blobName, viewerToken: token };
}

async function blobExists(blobName: string): Promise<boolean> {
  return gateway.container.getBlobClient(blobName).exists();
}

function retention(now = NOW): FileRetention {
  return new FileRetention({
    links: gateway.links,
    shares,
    tenants,
    settings: tenants,
    storage: gateway.storage,
    clock: { now: () => now },
    logger: gateway.infra.logger,
  });
}

describe('file retention', () => {
  it("deletes each tenant's files once its retention has run out, and records it on the link", async () => {
    await gateway.updateMediaPolicy({ retentionDays: 7 });
    const other = await tenants.createTenant('Longer retention', daysAgo(30));
    await tenants.updateSettings(other._id, { mediaPolicy: { retentionDays: 30 } }, daysAgo(30));

    const oldDelivered = await settledLink(10, 'delivered');
    const oldFailed = await settledLink(8, 'failed');
    const recent = await settledLink(2, 'delivered');
    const otherTenants = await settledLink(10, 'delivered', other._id);
    const pending = await gateway.createLink();

    // Other tests' links of this tenant may be swept too: count only ours.
    await retention().sweep();

    for (const gone of [oldDelivered, oldFailed]) {
      expect(await blobExists(gone.blobName)).toBe(false);
      expect((await shares.find(gone.viewerToken, NOW)).outcome).toBe('revoked');
      const link = await gateway.links.getById(gone.linkId);
      expect(link?.fileDeletedAt).toEqual(NOW);
      // The link keeps its status and history; only the file is gone.
      expect(link?.status).toBe(gone === oldDelivered ? 'delivered' : 'delivery_failed');
      expect(link?.upload?.blobName).toBe(gone.blobName);
    }
    for (const kept of [recent, otherTenants]) {
      expect(await blobExists(kept.blobName)).toBe(true);
      expect((await shares.find(kept.viewerToken, NOW)).outcome).toBe('found');
      expect((await gateway.links.getById(kept.linkId))?.fileDeletedAt).toBeUndefined();
    }
    expect(await gateway.linkStatus(pending.linkId)).toBe('pending');

    // Nothing left to do: a second sweep deletes nothing.
    expect(await retention().sweep()).toBe(0);
  });

  it('applies a shortened retention to the files already kept', async () => {
    await gateway.updateMediaPolicy({ retentionDays: 30 });
    const kept = await settledLink(3, 'delivered');
    await retention().sweep();
    expect(await blobExists(kept.blobName)).toBe(true);

    await gateway.updateMediaPolicy({ retentionDays: 1 });
    expect(await retention().sweep()).toBeGreaterThanOrEqual(1);
    expect(await blobExists(kept.blobName)).toBe(false);
  });

  it('finishes a deletion a crash interrupted: the blob already gone, the link not yet marked', async () => {
    await gateway.updateMediaPolicy({ retentionDays: 7 });
    const half = await settledLink(9, 'delivered');
    await gateway.storage.delete(half.blobName);
    await retention().sweep();
    expect((await gateway.links.getById(half.linkId))?.fileDeletedAt).toEqual(NOW);
  });

  it('runs in the gateway as a worker on its interval', () => {
    const names = gateway.service.workers.map((worker) => worker.name);
    expect(names).toEqual(expect.arrayContaining(['file retention', 'abandoned upload sweeper']));
  });
});

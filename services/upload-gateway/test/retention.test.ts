// The tenant's retention: files are deleted from storage `retentionDays` after their delivery
// ended, read from the settings at each sweep. Real MongoDB-wire server and Azurite; the links
// are driven through the store's own transitions, with times in the past.

import { randomBytes } from 'node:crypto';
import type { UploadedFile } from '@uplink/contracts';
import { hashSecret, MetricNames, randomId } from '@uplink/kit';
import type { BlobStore } from '@uplink/storage';
import { AuditRecorder, type FileShareStore, type TenantStore } from '@uplink/store';
import { startTestTelemetry } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { blobsOfFile, verifiedBlobName } from '../src/blob-names.ts';
import { FileRetention } from '../src/file-retention.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = new Date();
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

let gateway: UploadGatewayHarness;
let shares: FileShareStore;
let tenants: TenantStore;

beforeAll(async () => {
  gateway = await uploadGatewayHarness();
  shares = gateway.store.shares;
  tenants = gateway.store.tenants;
}, 60_000);

/** `blobName` is the first file's; `blobNames` every file's. */
type Kept = { linkId: string; tenantId: string; blobName: string; blobNames: string[]; viewerToken: string };

/** A link whose files (one unless `fileCount` says) were received and whose delivery ended `settledDaysAgo`, with a viewer link. */
async function settledLink(
  settledDaysAgo: number,
  outcome: 'delivered' | 'failed',
  tenantId = gateway.tenantId,
  options: { verifiedCopy?: boolean; fileCount?: number } = {},
): Promise<Kept> {
  const at = daysAgo(settledDaysAgo);
  const { link } = await gateway.links.create({
    tenantId,
    ticket: { provider: 'webhook', id: `retention-${randomId('t', 8)}` },
    validityHours: 2,
    now: new Date(at.getTime() - 60_000),
  });
  const files: UploadedFile[] = [];
  for (let i = 0; i < (options.fileCount ?? 1); i++) {
    const uploadId = randomId('upl');
    // As completion keeps it now (a verified copy), or as it did before (where the SAS wrote it).
    const uploadBlob = `${tenantId}/${uploadId}`;
    const blobName = options.verifiedCopy ? verifiedBlobName(uploadBlob) : uploadBlob;
    const bytes = randomBytes(1024);
    const uploaded = await gateway.container.getBlockBlobClient(blobName).uploadData(bytes);
    files.push({
      uploadId,
      kind: 'file',
      fileName: `label-${i + 1}.pdf`,
      contentType: 'application/pdf',
      category: 'document',
      size: bytes.length,
      container: gateway.container.containerName,
      blobName,
      etag: uploaded.etag ?? '"0x0"',
    });
  }
  const [file] = files;
  if (!file) throw new Error('no file');
  const received = await gateway.links.markReceived(link, { files }, at);
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
  const blobNames = files.map((each) => each.blobName);
  return { linkId: link._id, tenantId, blobName: file.blobName, blobNames, viewerToken: token };
}

async function blobExists(blobName: string): Promise<boolean> {
  return gateway.container.getBlobClient(blobName).exists();
}

/** Every blob and snapshot whose name is one of `names`. */
async function storedVersions(names: string[]): Promise<string[]> {
  const found: string[] = [];
  for await (const blob of gateway.container.listBlobsFlat({ includeSnapshots: true })) {
    if (names.includes(blob.name)) found.push(blob.snapshot ? `${blob.name}@${blob.snapshot}` : blob.name);
  }
  return found;
}

/** A request with a create+write SAS for the blob, as a customer's page could send it. */
async function withUploadSas(blobName: string, query: string, headers: Record<string, string> = {}) {
  const { url } = await gateway.storage.uploadUrl(blobName, true, new Date());
  const response = await fetch(`${url}${query}`, { method: 'PUT', headers });
  expect(response.status, await response.text()).toBe(201);
}

function retention(now = NOW, storage: Pick<BlobStore, 'delete'> = gateway.storage): FileRetention {
  return new FileRetention({
    links: gateway.links,
    shares,
    tenants,
    settings: tenants,
    storage,
    audit: new AuditRecorder(gateway.store.audit, { now: () => now }),
    clock: { now: () => now },
    logger: gateway.infra.logger,
  });
}

/** The audit entries retention left for a link. */
async function retentionEntries(tenantId: string, linkId: string) {
  return gateway.store.audit.list(tenantId, { linkId, action: 'file.deleted_by_retention', limit: 10 });
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
      expect((await shares.findByTokenHash(hashSecret(gone.viewerToken), NOW)).outcome).toBe('revoked');
      const link = await gateway.links.getById(gone.linkId);
      expect(link?.fileDeletedAt).toEqual(NOW);
      // The link keeps its status and history; only the file is gone.
      expect(link?.status).toBe(gone === oldDelivered ? 'delivered' : 'delivery_failed');
      expect(link?.files?.[0]?.blobName).toBe(gone.blobName);
      const [entry, ...more] = await retentionEntries(gateway.tenantId, gone.linkId);
      expect(more).toStrictEqual([]);
      expect(entry).toMatchObject({ actor: { kind: 'system', name: 'retention' }, at: NOW.toISOString() });
    }
    for (const kept of [recent, otherTenants]) {
      expect(await blobExists(kept.blobName)).toBe(true);
      expect((await shares.findByTokenHash(hashSecret(kept.viewerToken), NOW)).outcome).toBe('found');
      expect((await gateway.links.getById(kept.linkId))?.fileDeletedAt).toBeUndefined();
    }
    expect(await retentionEntries(gateway.tenantId, recent.linkId)).toStrictEqual([]);
    expect(await retentionEntries(other._id, otherTenants.linkId)).toStrictEqual([]);
    expect(await gateway.linkStatus(pending.linkId)).toBe('pending');

    // Nothing left to do: a second sweep deletes nothing.
    expect(await retention().sweep()).toBe(0);
  });

  it('deletes every file of a link received with several, and records it once, naming them', async () => {
    await gateway.updateMediaPolicy({ retentionDays: 7 });
    const several = await settledLink(9, 'delivered', gateway.tenantId, { verifiedCopy: true, fileCount: 3 });
    await retention().sweep();
    for (const blobName of several.blobNames) {
      expect(await storedVersions(blobsOfFile(blobName))).toEqual([]);
    }
    expect((await gateway.links.getById(several.linkId))?.fileDeletedAt).toEqual(NOW);
    const [entry, ...more] = await retentionEntries(gateway.tenantId, several.linkId);
    expect(more).toStrictEqual([]);
    expect(entry?.details).toEqual({
      fileName: 'label-1.pdf',
      fileNames: ['label-1.pdf', 'label-2.pdf', 'label-3.pdf'],
    });
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

  it("is not stopped by what a customer's SAS did: 30 files of three tenants, one with a snapshot and one leased, all deleted", async () => {
    await gateway.updateMediaPolicy({ retentionDays: 7 });
    const tenantIds = [gateway.tenantId];
    for (const name of ['Second tenant', 'Third tenant']) {
      const tenant = await tenants.createTenant(name, daysAgo(30));
      await tenants.updateSettings(tenant._id, { mediaPolicy: { retentionDays: 7 } }, daysAgo(30));
      tenantIds.push(tenant._id);
    }
    const files: Kept[] = [];
    for (let i = 0; i < 30; i++) files.push(await settledLink(8 + (i % 5), 'delivered', tenantIds[i % 3]));
    // The first tenant's files are swept first: its troubles come before everyone else's files.
    const [snapshotted, leased] = files;
    if (!snapshotted || !leased) throw new Error('no files');
    await withUploadSas(snapshotted.blobName, '&comp=snapshot');
    await withUploadSas(leased.blobName, '&comp=lease', {
      'x-ms-lease-action': 'acquire',
      'x-ms-lease-duration': '-1',
    });

    await retention().sweep();

    expect(await storedVersions(files.map((file) => file.blobName))).toEqual([]);
    for (const file of files) {
      expect((await gateway.links.getById(file.linkId))?.fileDeletedAt, file.linkId).toEqual(NOW);
    }
  });

  it('deletes every blob the file had: its verified copy, and the upload blob its SAS could create again', async () => {
    await gateway.updateMediaPolicy({ retentionDays: 7 });
    const legacy = await settledLink(9, 'delivered');
    const verified = await settledLink(9, 'delivered', gateway.tenantId, { verifiedCopy: true });
    const uploadBlob = blobsOfFile(verified.blobName)[0] ?? '';
    await gateway.container.getBlockBlobClient(uploadBlob).uploadData(Buffer.from('made again by the SAS'));

    await retention().sweep();

    expect(await storedVersions([legacy.blobName, verified.blobName, uploadBlob])).toEqual([]);
  });

  it('goes on past a file that fails, counts it, and deletes it on the next run', async () => {
    const telemetry = await startTestTelemetry('retention-test');
    try {
      await gateway.updateMediaPolicy({ retentionDays: 7 });
      const failing = await settledLink(9, 'delivered');
      const others = [await settledLink(9, 'delivered'), await settledLink(10, 'failed')];
      // Storage refuses this one blob (as it would a blob under a legal hold) and serves the rest.
      const refusing: Pick<BlobStore, 'delete'> = {
        async delete(blobName) {
          if (blobName === failing.blobName) throw new Error('storage refused the delete');
          await gateway.storage.delete(blobName);
        },
      };

      await retention(NOW, refusing).sweep();

      for (const other of others) expect(await blobExists(other.blobName)).toBe(false);
      expect(await blobExists(failing.blobName)).toBe(true);
      expect((await gateway.links.getById(failing.linkId))?.fileDeletedAt).toBeUndefined();
      const failures = (await telemetry.collect()).filter(
        (point) => point.name === MetricNames.sweepFailures,
      );
      expect(failures.map((point) => [point.attributes, point.value])).toEqual([
        [{ sweep: 'file_retention' }, 1],
      ]);

      await retention().sweep();
      expect(await blobExists(failing.blobName)).toBe(false);
      expect((await gateway.links.getById(failing.linkId))?.fileDeletedAt).toEqual(NOW);
    } finally {
      await telemetry.shutdown();
    }
  });

  it('runs in the gateway as a worker on its interval', () => {
    const names = gateway.service.workers.map((worker) => worker.name);
    expect(names).toEqual(expect.arrayContaining(['file retention', 'abandoned upload sweeper']));
  });
});

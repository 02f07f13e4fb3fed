// One behaviour, every blob store: the BlobStore port, its Azure adapter checked against whatever
// serves the Blob REST API (Azurite as a child process, Azurite in this process, real Azure).
// What a browser does with a SAS is done here with plain fetch, as the upload page does it.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureBlobStore, uploadCorsRule } from '../src/azure-blob-store.ts';
import { UPLOAD_SAS_MS } from '../src/blob-store.ts';
import type { AzureStorageConfig } from '../src/storage-env.ts';

/** How AzureBlobStore.fromConfig reaches a store. */
export type BlobStoreConfig = Parameters<typeof AzureBlobStore.fromConfig>[0];
/** Everything but the container: each run of the suite makes and removes its own. */
export type BlobStoreConnection = Omit<BlobStoreConfig, 'AZURE_STORAGE_CONTAINER'>;

export interface BlobStoreTarget {
  connection: BlobStoreConnection;
  /**
   * Stops the store and starts it again on the same data; resolves to how to reach it now.
   * Given only by stores that persist (the suite then checks every blob survives).
   */
  restart?: () => Promise<BlobStoreConnection>;
  close(): Promise<void>;
}

export interface DescribeBlobStoreOptions {
  /** Skip the whole suite (a target needing credentials that are not set). */
  skip?: boolean;
  /**
   * Other test files configure this blob service at the same time (the run's shared Azurite):
   * leave its CORS rules alone when done, since service properties are replaced as a whole and
   * taking ours out could drop a rule someone else just added.
   */
  sharedService?: boolean;
  /** The target can be restarted on its data (its `open` gives `restart`): adds the persistence case. */
  restartable?: boolean;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function sha256OfStream(stream: NodeJS.ReadableStream): Promise<{ hash: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(buffer);
    bytes += buffer.length;
  }
  return { hash: hash.digest('hex'), bytes };
}

/** A container name of its own for each run: `conformance-<target>-<random>`, valid for Azure. */
function containerNameFor(target: string): string {
  const slug = target
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 30);
  return `conformance-${slug}-${randomUUID().replaceAll('-', '').slice(0, 12)}`.replace(/-+/g, '-');
}

/** Put Blob as the upload page sends it. */
function putBlob(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'PUT',
    body: new Uint8Array(body),
    headers: { 'x-ms-blob-type': 'BlockBlob', ...headers },
  });
}

const blockId = (index: number): string =>
  Buffer.from(`block-${String(index).padStart(6, '0')}`).toString('base64');

/** Put Block for each `blockBytes` of `bytes`, then Put Block List: a staged upload through one SAS. */
async function stageBlocks(
  sasUrl: string,
  bytes: Uint8Array,
  blockBytes: number,
  contentType: string,
): Promise<{ blocks: Response[]; commit: Response }> {
  const ids: string[] = [];
  const blocks: Response[] = [];
  for (let offset = 0, index = 0; offset < bytes.length; offset += blockBytes, index++) {
    const id = blockId(index);
    ids.push(id);
    const response = await fetch(`${sasUrl}&comp=block&blockid=${encodeURIComponent(id)}`, {
      method: 'PUT',
      body: bytes.slice(offset, offset + blockBytes),
    });
    await response.arrayBuffer();
    blocks.push(response);
  }
  const list = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`;
  const commit = await fetch(`${sasUrl}&comp=blocklist`, {
    method: 'PUT',
    body: list,
    headers: { 'x-ms-blob-content-type': contentType },
  });
  await commit.arrayBuffer();
  return { blocks, commit };
}

/** The URL with its blob name replaced by `name`, SAS kept: the same signature used for another blob. */
function withBlobName(sasUrl: string, name: string): string {
  const url = new URL(sasUrl);
  const [account, container] = url.pathname.split('/').filter(Boolean);
  url.pathname = `/${account}/${container}/${name}`;
  return url.toString();
}

/** The container's URL with the blob's SAS: what listing the container with it would ask. */
function containerUrlOf(sasUrl: string): string {
  const url = new URL(sasUrl);
  const [account, container] = url.pathname.split('/').filter(Boolean);
  url.pathname = `/${account}/${container}`;
  return url.toString();
}

/** Retries `check` until it passes: Azure applies CORS rule changes up to 30 s after they are set. */
async function eventually(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/**
 * The BlobStore contract against one store. `open` runs once for the suite; the suite creates
 * its own container (through configure()) and deletes it at the end.
 */
export function describeBlobStore(
  name: string,
  open: () => Promise<BlobStoreTarget>,
  options: DescribeBlobStoreOptions = {},
): void {
  describe.skipIf(options.skip ?? false)(`AzureBlobStore on ${name}`, () => {
    const containerName = containerNameFor(name);
    const pageOrigin = `https://${containerName}.upload.uplink.test`;
    let target: BlobStoreTarget | undefined;
    let storage: AzureBlobStore;

    const configFor = (connection: BlobStoreConnection): BlobStoreConfig => ({
      ...connection,
      AZURE_STORAGE_CONTAINER: containerName satisfies AzureStorageConfig['AZURE_STORAGE_CONTAINER'],
    });
    const newBlobName = (label: string): string => `conformance/${label}/${randomUUID()}.bin`;

    /** Uploads `bytes` to a new blob through its create-only SAS, as the upload page does. */
    async function uploadNew(
      label: string,
      bytes: Uint8Array,
      contentType = 'application/octet-stream',
    ): Promise<{ blobName: string; url: string; etag: string }> {
      const blobName = newBlobName(label);
      const { url } = await storage.uploadUrl(blobName, false, new Date());
      const response = await putBlob(url, bytes, { 'x-ms-blob-content-type': contentType });
      expect(response.status, await response.text()).toBe(201);
      const etag = response.headers.get('etag');
      expect(etag).toBeTruthy();
      return { blobName, url, etag: etag ?? '' };
    }

    beforeAll(async () => {
      target = await open();
      storage = await AzureBlobStore.fromConfig(configFor(target.connection));
      await storage.configure(pageOrigin);
    }, 120_000);

    afterAll(async () => {
      try {
        if (storage) {
          await storage.container.deleteIfExists();
          if (!options.sharedService) {
            const properties = await storage.service.getProperties();
            const rules = properties.cors ?? [];
            const kept = rules.filter((rule) => rule.allowedOrigins !== pageOrigin);
            if (kept.length !== rules.length) await storage.service.setProperties({ cors: kept });
          }
        }
      } finally {
        await target?.close();
      }
    }, 120_000);

    describe('upload SAS', () => {
      it('names one blob, create only, for 15 minutes; create+write when staged', async () => {
        const now = new Date();
        const blobName = newBlobName('sas-shape');
        const single = await storage.uploadUrl(blobName, false, now);
        const staged = await storage.uploadUrl(blobName, true, now);
        expect(single.expiresAt.getTime() - now.getTime()).toBe(UPLOAD_SAS_MS);
        for (const [{ url }, permissions] of [
          [single, 'c'],
          [staged, 'cw'],
        ] as const) {
          const parsed = new URL(url);
          expect(decodeURIComponent(parsed.pathname)).toMatch(new RegExp(`/${containerName}/${blobName}$`));
          expect(parsed.searchParams.get('sp')).toBe(permissions);
          expect(parsed.searchParams.get('sr')).toBe('b');
          // Second precision: the SAS carries no milliseconds.
          expect(
            Math.abs(Date.parse(parsed.searchParams.get('se') ?? '') - single.expiresAt.getTime()),
          ).toBeLessThan(1_000);
        }
      });

      it('lets plain fetch create the blob with Put Blob', async () => {
        const bytes = randomBytes(10_000);
        const { blobName, etag } = await uploadNew('put-blob', bytes, 'image/jpeg');
        const facts = await storage.facts(blobName);
        expect(facts).toEqual({ size: bytes.length, etag });
        const properties = await storage.container.getBlobClient(blobName).getProperties();
        expect(properties.contentType).toBe('image/jpeg');
        expect(properties.blobType).toBe('BlockBlob');
      });

      it('cannot read, delete or overwrite its blob, nor write a sibling blob', async () => {
        const bytes = randomBytes(1_000);
        const { blobName, url, etag } = await uploadNew('create-only', bytes);

        const read = await fetch(url);
        await read.arrayBuffer();
        expect(read.status).toBe(403);
        const head = await fetch(url, { method: 'HEAD' });
        expect(head.status).toBe(403);
        const remove = await fetch(url, { method: 'DELETE' });
        await remove.arrayBuffer();
        expect(remove.status).toBe(403);

        // Create only: the blob exists now, so the same SAS cannot replace it.
        const overwrite = await putBlob(url, new TextEncoder().encode('replaced'));
        await overwrite.arrayBuffer();
        expect(overwrite.status).toBe(403);
        expect(await storage.facts(blobName)).toEqual({ size: bytes.length, etag });

        const siblingName = `${blobName}-other`;
        const sibling = await putBlob(withBlobName(url, siblingName), new TextEncoder().encode('x'));
        await sibling.arrayBuffer();
        expect(sibling.status).toBe(403);
        expect(await storage.facts(siblingName)).toBeUndefined();

        const list = await fetch(`${containerUrlOf(url)}&restype=container&comp=list`);
        await list.arrayBuffer();
        expect(list.status).toBe(403);
      });

      it('stops working once expired', async () => {
        const blobName = newBlobName('expired');
        const old = await storage.uploadUrl(blobName, false, new Date(Date.now() - UPLOAD_SAS_MS - 60_000));
        const late = await putBlob(old.url, new TextEncoder().encode('late'));
        await late.arrayBuffer();
        expect(late.status).toBe(403);
        expect(await storage.facts(blobName)).toBeUndefined();
      });

      it('stages blocks (Put Block ×n, Put Block List) only with the staged SAS', async () => {
        const bytes = randomBytes(3 * 64 * 1024 + 123);
        const blobName = newBlobName('staged');

        const createOnly = await storage.uploadUrl(blobName, false, new Date());
        const refused = await stageBlocks(createOnly.url, bytes, 64 * 1024, 'video/mp4');
        expect(refused.blocks.map((response) => response.status)).toEqual([403, 403, 403, 403]);
        expect(refused.commit.status).toBe(403);
        expect(await storage.facts(blobName)).toBeUndefined();

        const staged = await storage.uploadUrl(blobName, true, new Date());
        const accepted = await stageBlocks(staged.url, bytes, 64 * 1024, 'video/mp4');
        expect(accepted.blocks.map((response) => response.status)).toEqual([201, 201, 201, 201]);
        expect(accepted.commit.status).toBe(201);
        const etag = accepted.commit.headers.get('etag');

        expect(await storage.facts(blobName)).toEqual({ size: bytes.length, etag });
        const properties = await storage.container.getBlobClient(blobName).getProperties();
        expect(properties.contentType).toBe('video/mp4');
        const opened = await storage.openRead(blobName, etag ?? '');
        expect(opened).toBeDefined();
        if (opened)
          expect(await sha256OfStream(opened.stream)).toEqual({ hash: sha256(bytes), bytes: bytes.length });
      });
    });

    describe('staged blocks', () => {
      it('uncommittedBlocks: the blocks staged and not committed, with their sizes; none once committed', async () => {
        const blobName = newBlobName('uncommitted');
        expect(await storage.uncommittedBlocks(blobName)).toEqual([]);
        const staged = await storage.uploadUrl(blobName, true, new Date());
        const idOf = (label: string) => Buffer.from(label).toString('base64');
        const stage = async (label: string, bytes: number) => {
          const response = await fetch(
            `${staged.url}&comp=block&blockid=${encodeURIComponent(idOf(label))}`,
            { method: 'PUT', body: randomBytes(bytes) },
          );
          await response.arrayBuffer();
          expect(response.status).toBe(201);
        };
        await stage('o000000000000-l000000065536', 64 * 1024);
        await stage('o000000065536-l000000001000', 1000);
        // Staging an id again replaces the block: still one entry, with the new size.
        await stage('o000000065536-l000000001000', 999);
        const listed = await storage.uncommittedBlocks(blobName);
        const bySize = (a: { size: number }, b: { size: number }) => a.size - b.size;
        expect(listed.toSorted(bySize)).toEqual([
          { id: idOf('o000000065536-l000000001000'), size: 999 },
          { id: idOf('o000000000000-l000000065536'), size: 64 * 1024 },
        ]);
        expect(await storage.facts(blobName), 'nothing committed yet').toBeUndefined();

        const list = `<?xml version="1.0" encoding="utf-8"?><BlockList>${listed
          .map((block) => `<Latest>${block.id}</Latest>`)
          .join('')}</BlockList>`;
        const commit = await fetch(`${staged.url}&comp=blocklist`, { method: 'PUT', body: list });
        await commit.arrayBuffer();
        expect(commit.status).toBe(201);
        expect(await storage.uncommittedBlocks(blobName)).toEqual([]);
        expect((await storage.facts(blobName))?.size).toBe(64 * 1024 + 999);
      });
    });

    describe('reading back', () => {
      it('facts: undefined for a blob that does not exist', async () => {
        expect(await storage.facts(newBlobName('missing'))).toBeUndefined();
      });

      it('head: the first bytes while the ETag matches, undefined once it does not', async () => {
        const bytes = randomBytes(4_096);
        const { blobName, etag } = await uploadNew('head', bytes);
        const first = await storage.head(blobName, 16, etag);
        expect(first).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(first ?? new Uint8Array())).toEqual(bytes.subarray(0, 16));
        // The whole blob, when asked for all of it. (Asking for more than there is throws: callers
        // clamp the count to the size from facts().)
        expect(Buffer.from((await storage.head(blobName, bytes.length, etag)) ?? new Uint8Array())).toEqual(
          bytes,
        );

        expect(await storage.head(blobName, 16, '"0x8DEADBEEFCAFE00"')).toBeUndefined();
        await storage.container.getBlockBlobClient(blobName).upload(Buffer.from('changed'), 7);
        expect(await storage.head(blobName, 16, etag)).toBeUndefined();
        expect(await storage.head(newBlobName('missing'), 16, etag)).toBeUndefined();
      });

      it('openRead: streams exactly the uploaded bytes, and refuses once the ETag changed', async () => {
        const bytes = randomBytes(3 * 1024 * 1024 + 321);
        const { blobName, etag } = await uploadNew('open-read', bytes);

        const opened = await storage.openRead(blobName, etag);
        expect(opened?.size).toBe(bytes.length);
        if (!opened) return;
        expect(await sha256OfStream(opened.stream)).toEqual({ hash: sha256(bytes), bytes: bytes.length });

        await storage.container.getBlockBlobClient(blobName).upload(Buffer.from('changed'), 7);
        expect(await storage.openRead(blobName, etag)).toBeUndefined();
        await storage.delete(blobName);
        expect(await storage.openRead(blobName, etag)).toBeUndefined();
      });

      it('readUrl: serves the bytes with the Content-Type and Content-Disposition it fixes', async () => {
        const bytes = new TextEncoder().encode('%PDF-1.7 not really html');
        // The browser chose the blob's own type; the read URL must not pass it on.
        const { blobName } = await uploadNew('read-url', bytes, 'text/html');

        const url = await storage.readUrl(blobName, 60_000, new Date(), {
          contentType: 'application/pdf',
          fileName: 'résumé final.pdf',
          disposition: 'attachment',
        });
        const response = await fetch(url);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/pdf');
        expect(response.headers.get('content-disposition')).toBe(
          `attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.pdf`,
        );
        expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(bytes));

        const inline = await fetch(
          await storage.readUrl(blobName, 60_000, new Date(), { disposition: 'inline' }),
        );
        await inline.arrayBuffer();
        expect(inline.headers.get('content-disposition')).toBe('inline');

        // Read only: it cannot replace or delete the blob.
        const write = await putBlob(url, new TextEncoder().encode('replaced'));
        await write.arrayBuffer();
        expect(write.status).toBe(403);
        const remove = await fetch(url, { method: 'DELETE' });
        await remove.arrayBuffer();
        expect(remove.status).toBe(403);

        const expired = await fetch(await storage.readUrl(blobName, 60_000, new Date(Date.now() - 120_000)));
        await expired.arrayBuffer();
        expect(expired.status).toBe(403);
      });
    });

    it('delete: removes the blob, and deleting again (or something never there) is fine', async () => {
      const { blobName } = await uploadNew('delete', randomBytes(100));
      await storage.delete(blobName);
      expect(await storage.facts(blobName)).toBeUndefined();
      await storage.delete(blobName);
      await storage.delete(newBlobName('never'));
    });

    it('delete: also removes what an upload SAS can add to its blob (snapshots, a lease for ever)', async () => {
      const snapshotted = await uploadNew('delete-snapshots', randomBytes(100));
      for (let i = 0; i < 2; i++) {
        const snapshot = await fetch(`${snapshotted.url}&comp=snapshot`, { method: 'PUT' });
        await snapshot.arrayBuffer();
        expect(snapshot.status).toBe(201);
      }
      expect(await storage.snapshotsOf(snapshotted.blobName)).toHaveLength(2);
      await storage.delete(snapshotted.blobName);
      expect(await storage.facts(snapshotted.blobName)).toBeUndefined();
      expect(await storage.snapshotsOf(snapshotted.blobName)).toEqual([]);

      // Create+write (the staged SAS) may acquire an infinite lease, which blocks a plain delete.
      const leasedName = newBlobName('delete-leased');
      const staged = await storage.uploadUrl(leasedName, true, new Date());
      const created = await putBlob(staged.url, randomBytes(100));
      await created.arrayBuffer();
      expect(created.status).toBe(201);
      const lease = await fetch(`${staged.url}&comp=lease`, {
        method: 'PUT',
        headers: { 'x-ms-lease-action': 'acquire', 'x-ms-lease-duration': '-1' },
      });
      await lease.arrayBuffer();
      expect(lease.status).toBe(201);
      await storage.delete(leasedName);
      expect(await storage.facts(leasedName)).toBeUndefined();
    });

    describe('what an upload SAS made', () => {
      it('inspect: a plain upload is a block blob, not copied, without snapshots', async () => {
        const bytes = randomBytes(2_000);
        const { blobName, etag } = await uploadNew('inspect-plain', bytes);
        expect(await storage.inspect(blobName)).toEqual({
          size: bytes.length,
          etag,
          blobType: 'BlockBlob',
          copied: false,
          snapshots: 0,
        });
        expect(await storage.inspect(newBlobName('missing'))).toBeUndefined();
      });

      it('inspect: tells a snapshot, a copy of another blob, and an append or page blob', async () => {
        const snapshotted = await uploadNew('inspect-snapshot', randomBytes(100));
        const snapshot = await fetch(`${snapshotted.url}&comp=snapshot`, { method: 'PUT' });
        await snapshot.arrayBuffer();
        expect(snapshot.status).toBe(201);
        expect(await storage.inspect(snapshotted.blobName)).toMatchObject({ copied: false, snapshots: 1 });

        // Copy Blob with a create-only SAS: any blob the service can read comes in under this name.
        const other = await uploadNew('inspect-copy-source', randomBytes(300));
        const copiedName = newBlobName('inspect-copied');
        const copy = await fetch((await storage.uploadUrl(copiedName, false, new Date())).url, {
          method: 'PUT',
          headers: { 'x-ms-copy-source': await storage.readUrl(other.blobName, 60_000, new Date()) },
        });
        await copy.arrayBuffer();
        expect(copy.status).toBe(202);
        expect(await storage.inspect(copiedName)).toMatchObject({
          size: 300,
          blobType: 'BlockBlob',
          copied: true,
        });

        for (const [blobType, headers] of [
          ['AppendBlob', { 'x-ms-blob-type': 'AppendBlob' }],
          ['PageBlob', { 'x-ms-blob-type': 'PageBlob', 'x-ms-blob-content-length': '512' }],
        ] as const) {
          const name = newBlobName(`inspect-${blobType}`);
          const created = await fetch((await storage.uploadUrl(name, false, new Date())).url, {
            method: 'PUT',
            headers,
          });
          await created.arrayBuffer();
          expect(created.status).toBe(201);
          expect((await storage.inspect(name))?.blobType).toBe(blobType);
        }
      });

      it('copyOnce: copies the version asked for, on the server, once; not another version', async () => {
        const bytes = randomBytes(3 * 64 * 1024 + 5);
        const stagedName = newBlobName('copy-source');
        const staged = await storage.uploadUrl(stagedName, true, new Date());
        const { commit } = await stageBlocks(staged.url, bytes, 64 * 1024, 'image/png');
        expect(commit.status).toBe(201);
        const etag = commit.headers.get('etag') ?? '';
        const destination = newBlobName('copy-destination');

        const copied = await storage.copyOnce(stagedName, etag, destination, new Date());
        expect(copied).toEqual({ outcome: 'copied', facts: await storage.facts(destination) });
        if (copied.outcome === 'source_changed') return;
        const opened = await storage.openRead(destination, copied.facts.etag);
        if (!opened) throw new Error('the copy cannot be read');
        expect(await sha256OfStream(opened.stream)).toEqual({ hash: sha256(bytes), bytes: bytes.length });

        // A second copy finds the first and leaves it as it is.
        expect(await storage.copyOnce(stagedName, etag, destination, new Date())).toEqual({
          outcome: 'exists',
          facts: copied.facts,
        });

        // The upload SAS writes the source again: the copy does not follow, and a copy of the
        // version asked for can no longer be made.
        const replaced = await putBlob(staged.url, new TextEncoder().encode('new bytes'));
        await replaced.arrayBuffer();
        expect(replaced.status).toBe(201);
        expect(await storage.facts(destination)).toEqual(copied.facts);
        expect(await storage.copyOnce(stagedName, etag, newBlobName('copy-late'), new Date())).toEqual({
          outcome: 'source_changed',
        });
        expect(
          await storage.copyOnce(newBlobName('missing'), etag, newBlobName('copy-none'), new Date()),
        ).toEqual({
          outcome: 'source_changed',
        });
      });

      it('readUrlIfUnchanged: a URL while the blob has the ETag, none once it changed or went', async () => {
        const bytes = randomBytes(500);
        const blobName = newBlobName('read-if-unchanged');
        const staged = await storage.uploadUrl(blobName, true, new Date());
        const put = await putBlob(staged.url, bytes);
        await put.arrayBuffer();
        const etag = put.headers.get('etag') ?? '';
        const url = await storage.readUrlIfUnchanged(blobName, etag, 60_000, new Date());
        if (!url) throw new Error('no read URL for an unchanged blob');
        expect(sha256(new Uint8Array(await (await fetch(url)).arrayBuffer()))).toBe(sha256(bytes));

        const replaced = await putBlob(staged.url, new TextEncoder().encode('new bytes'));
        await replaced.arrayBuffer();
        expect(await storage.readUrlIfUnchanged(blobName, etag, 60_000, new Date())).toBeUndefined();
        await storage.delete(blobName);
        expect(await storage.readUrlIfUnchanged(blobName, etag, 60_000, new Date())).toBeUndefined();
      });
    });

    it('configure: a preflight from the page origin passes, another origin is refused', async () => {
      // configure() again is a no-op: the rule is there already.
      await storage.configure(pageOrigin);
      const rules = (await storage.service.getProperties()).cors ?? [];
      expect(rules.filter((rule) => rule.allowedOrigins === pageOrigin)).toHaveLength(1);

      const { url } = await storage.uploadUrl(newBlobName('cors'), false, new Date());
      const preflight = (origin: string) =>
        fetch(url, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'PUT',
            'access-control-request-headers': 'content-type,x-ms-blob-type,x-ms-blob-content-type',
          },
        });
      await eventually(async () => {
        const response = await preflight(pageOrigin);
        await response.arrayBuffer();
        expect(response.status).toBe(200);
        expect(response.headers.get('access-control-allow-origin')).toBe(pageOrigin);
        expect(response.headers.get('access-control-allow-methods')?.toUpperCase()).toContain('PUT');
        expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
          'x-ms-blob-type',
        );
      }, 60_000);
      const other = await preflight('https://elsewhere.example');
      await other.arrayBuffer();
      expect(other.status).toBe(403);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();

      // The upload itself, sent with the page's Origin, lets the page read the ETag.
      const put = await putBlob(url, new TextEncoder().encode('from the page'), { origin: pageOrigin });
      await put.arrayBuffer();
      expect(put.status).toBe(201);
      expect(put.headers.get('access-control-allow-origin')).toBe(pageOrigin);
      expect(put.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('etag');
      expect(put.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('retry-after');
    }, 90_000);

    // Rewrites the service's CORS rules: not on a service other test files configure meanwhile.
    it.skipIf(options.sharedService ?? false)(
      'configure: replaces the rule an older version wrote for the origin, keeps other origins',
      async () => {
        // What Uplink wrote before Retry-After was exposed; a deployment keeps it until configure()
        // replaces it.
        const older = { ...uploadCorsRule(pageOrigin), exposedHeaders: 'etag,x-ms-request-id' };
        const otherOrigin = `https://other-${containerName}.example`;
        const other = { ...uploadCorsRule(otherOrigin), exposedHeaders: 'etag' };
        const before = (await storage.service.getProperties()).cors ?? [];
        const untouched = before.filter((rule) => rule.allowedOrigins !== pageOrigin);
        await storage.service.setProperties({ cors: [...untouched, older, other] });
        try {
          await storage.configure(pageOrigin);
          const rules = (await storage.service.getProperties()).cors ?? [];
          const ours = rules.filter((rule) => rule.allowedOrigins === pageOrigin);
          expect(ours).toHaveLength(1);
          expect(ours[0]?.exposedHeaders.toLowerCase().split(',')).toContain('retry-after');
          expect(rules.filter((rule) => rule.allowedOrigins === otherOrigin)).toEqual([other]);
        } finally {
          const rules = (await storage.service.getProperties()).cors ?? [];
          await storage.service.setProperties({
            cors: rules.filter((rule) => rule.allowedOrigins !== otherOrigin),
          });
        }
      },
      90_000,
    );

    // Last: it restarts the store under the other tests' feet.
    // Only for targets that can be restarted on their data (not registered otherwise).
    if (options.restartable) {
      it('persistence: blobs survive a restart of the store', async () => {
        if (!target?.restart) throw new Error('the target is restartable but its open() gave no restart');
        const single = randomBytes(200_000);
        const staged = randomBytes(2 * 64 * 1024 + 7);
        const put = await uploadNew('persist-single', single, 'image/png');
        const stagedName = newBlobName('persist-staged');
        const { commit } = await stageBlocks(
          (await storage.uploadUrl(stagedName, true, new Date())).url,
          staged,
          64 * 1024,
          'video/mp4',
        );
        expect(commit.status).toBe(201);
        const removed = await uploadNew('persist-deleted', randomBytes(10));
        await storage.delete(removed.blobName);
        const before = {
          single: await storage.facts(put.blobName),
          staged: await storage.facts(stagedName),
        };

        storage = await AzureBlobStore.fromConfig(configFor(await target.restart()));

        expect(await storage.facts(put.blobName)).toEqual(before.single);
        expect(await storage.facts(stagedName)).toEqual(before.staged);
        expect(await storage.facts(removed.blobName)).toBeUndefined();
        const properties = await storage.container.getBlobClient(put.blobName).getProperties();
        expect(properties.contentType).toBe('image/png');
        for (const [blobName, bytes, facts] of [
          [put.blobName, single, before.single],
          [stagedName, staged, before.staged],
        ] as const) {
          const opened = await storage.openRead(blobName, facts?.etag ?? '');
          expect(opened, blobName).toBeDefined();
          if (opened)
            expect(await sha256OfStream(opened.stream)).toEqual({ hash: sha256(bytes), bytes: bytes.length });
        }
        // The CORS rule is a service property: it survives too.
        const rules = (await storage.service.getProperties()).cors ?? [];
        expect(rules.some((rule) => rule.allowedOrigins === pageOrigin)).toBe(true);
        // And the restarted store still takes uploads.
        await uploadNew('after-restart', randomBytes(1_000));
      });
    }
  });
}

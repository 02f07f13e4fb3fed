// What a customer can do with an upload SAS besides uploading, and what completion makes of it.
// Real Azurite, real SAS requests (as a hostile page would send them), real MongoDB-wire and NATS.
// Azurite 3.37 answers a create-only SAS (`sp=c`) with 201 for Snapshot Blob, 201 for a new
// append or page blob, and 202 for Copy Blob (also with x-ms-requires-sync) from any blob of the
// account, named without credentials; create+write (`sp=cw`, staged uploads) also lets it set
// metadata and properties, acquire an infinite lease, change the tier, append blocks or write pages
// to a blob of that type, and replace the blob. Put Blob From URL answers 500, Put Block From URL
// 403 (it cannot verify the source).
import { createHash, randomBytes } from 'node:crypto';
import type { ErrorEnvelope, UploadIntent } from '@uplink/contracts';
import { AZURITE_ACCOUNT_NAME } from '@uplink/dev-servers';
import { exeBytes, pdfBytes, uploadWithIntent } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { verifiedBlobName } from '../src/blob-names.ts';

const BLOCK_BYTES = 64 * 1024;

/** Bytes compared by digest: a failing comparison of megabytes prints a readable message. */
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let gateway: UploadGatewayHarness;

beforeAll(async () => {
  gateway = await uploadGatewayHarness({ blockBytes: BLOCK_BYTES });
}, 60_000);

async function intentFor(token: string, size: number): Promise<UploadIntent> {
  const response = await gateway.post(`/u/${token}/uploads`, {
    fileName: 'invoice.pdf',
    contentType: 'application/pdf',
    size,
    kind: 'file',
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as UploadIntent;
}

function blobNameOf(intent: UploadIntent): string {
  return decodeURIComponent(new URL(intent.uploadUrl).pathname.split('/').slice(3).join('/'));
}

/** A request with the intent's SAS, as a hostile page would send it; it must be accepted. */
async function withSas(
  intent: UploadIntent,
  query: string,
  headers: Record<string, string>,
  body?: Uint8Array,
) {
  const response = await fetch(`${intent.uploadUrl}${query}`, {
    method: 'PUT',
    headers,
    ...(body ? { body: new Uint8Array(body) } : {}),
  });
  expect(response.status, `${query} ${JSON.stringify(headers)}: ${await response.text()}`).toBeLessThan(300);
}

/** Every version of every blob in the container (snapshots too). */
async function storedNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of gateway.container.listBlobsFlat({ includeSnapshots: true })) names.push(blob.name);
  return names;
}

/** Another customer's upload, waiting for its completion: the blob a copy attack names. */
async function someoneElsesBlob(bytes: Uint8Array): Promise<string> {
  const { token } = await gateway.createLink();
  const intent = await intentFor(token, bytes.length);
  await uploadWithIntent(intent, bytes);
  // By name only, no credentials: Azurite reads any blob of the account for a copy.
  return `${gateway.storageOrigin}/${AZURITE_ACCOUNT_NAME}/${gateway.container.containerName}/${blobNameOf(intent)}`;
}

type Abuse = (intent: UploadIntent, bytes: Uint8Array) => Promise<void>;

const staged = pdfBytes(BLOCK_BYTES + 1_000);
const single = pdfBytes(2_000);

/** Each: the file it sends (a good PDF unless said otherwise), and what the SAS does with it. */
const abuses: [string, Uint8Array, Abuse][] = [
  [
    'a snapshot of a good file (create-only SAS)',
    single,
    async (intent, bytes) => {
      await uploadWithIntent(intent, bytes);
      await withSas(intent, '&comp=snapshot', {});
    },
  ],
  [
    'a snapshot of a refused file (the delete of a rejected file met SnapshotsPresent)',
    exeBytes(),
    async (intent, bytes) => {
      await uploadWithIntent(intent, bytes);
      await withSas(intent, '&comp=snapshot', {});
    },
  ],
  [
    "Copy Blob of another customer's file",
    single,
    async (intent, bytes) => {
      await withSas(intent, '', { 'x-ms-copy-source': await someoneElsesBlob(bytes) });
    },
  ],
  [
    "synchronous Copy Blob From URL of another customer's file",
    single,
    async (intent, bytes) => {
      await withSas(intent, '', {
        'x-ms-copy-source': await someoneElsesBlob(bytes),
        'x-ms-requires-sync': 'true',
      });
    },
  ],
  [
    'an append blob, its bytes appended (create+write SAS)',
    staged,
    async (intent, bytes) => {
      await withSas(intent, '', { 'x-ms-blob-type': 'AppendBlob' });
      await withSas(intent, '&comp=appendblock', {}, bytes);
    },
  ],
  [
    'a page blob with its pages written (create+write SAS)',
    pdfBytes(BLOCK_BYTES * 2 - pdfBytes().length),
    async (intent, bytes) => {
      await withSas(intent, '', {
        'x-ms-blob-type': 'PageBlob',
        'x-ms-blob-content-length': String(bytes.length),
      });
      await withSas(
        intent,
        '&comp=page',
        { 'x-ms-page-write': 'update', 'x-ms-range': `bytes=0-${bytes.length - 1}` },
        bytes,
      );
    },
  ],
  [
    'an infinite lease on a refused file (create+write SAS)',
    (() => {
      const exe = new Uint8Array(BLOCK_BYTES + 512);
      exe.set(exeBytes());
      return exe;
    })(),
    async (intent, bytes) => {
      await uploadWithIntent(intent, bytes);
      await withSas(intent, '&comp=lease', { 'x-ms-lease-action': 'acquire', 'x-ms-lease-duration': '-1' });
    },
  ],
];

describe('completion refuses what the upload page does not make', () => {
  it.each(abuses)(
    '%s: 422 upload_rejected in our words, every blob gone, the link usable',
    async (_, bytes, abuse) => {
      const { token, linkId } = await gateway.createLink();
      const intent = await intentFor(token, bytes.length);
      await abuse(intent, bytes);

      const response = await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`);
      const body = (await response.json()) as ErrorEnvelope;
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(body.error.code).toBe('upload_rejected');
      // Ours, not the storage service's (no "RequestId", no Azure error code).
      expect(body.error.message).not.toMatch(/RequestId|Snapshot|Lease|Blob|x-ms/i);
      expect(await gateway.linkStatus(linkId)).toBe('pending');
      const stored = await storedNames();
      expect(stored).not.toContain(blobNameOf(intent));
      expect(stored).not.toContain(verifiedBlobName(blobNameOf(intent)));

      const retry = await intentFor(token, single.length);
      await uploadWithIntent(retry, single);
      expect((await gateway.post(`/u/${token}/uploads/${retry.uploadId}/complete`)).status).toBe(200);
    },
  );
});

describe('a file swapped after completion', () => {
  it('the SAS can still write its blob, but what Uplink reads stays the verified bytes', async () => {
    const { token, linkId } = await gateway.createLink();
    const intent = await intentFor(token, staged.length);
    expect(intent.blockBytes).not.toBeNull();
    await uploadWithIntent(intent, staged);
    expect((await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`)).status).toBe(200);
    const file = (await gateway.links.getById(linkId))?.files?.[0];
    if (!file) throw new Error('no file on the link');

    // An 8 MiB program, through the same create+write SAS, still valid.
    const program = new Uint8Array(8 * 1024 * 1024);
    program.set(exeBytes());
    await uploadWithIntent(intent, program);

    const read = await fetch(await gateway.storage.readUrl(file.blobName, 60_000, new Date()));
    expect(sha256(new Uint8Array(await read.arrayBuffer()))).toBe(sha256(staged));
    const opened = await gateway.storage.openRead(file.blobName, file.etag);
    if (!opened) throw new Error('the verified file cannot be read');
    const chunks: Buffer[] = [];
    for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(staged));
  });
});

describe('storage errors', () => {
  it("answer in Uplink's envelope with its own code, never the storage service's status or message", async () => {
    const azurite = inject('azurite');
    const wrongKey = Buffer.from(randomBytes(64)).toString('base64');
    const misconfigured = await uploadGatewayHarness({
      infra: gateway.infra,
      gatewayStorageConnectionString: azurite.connectionString.replace(
        /AccountKey=[^;]+/,
        `AccountKey=${wrongKey}`,
      ),
    });
    const { token } = await misconfigured.createLink();
    const intent = (await (
      await fetch(`${misconfigured.baseUrl}/u/${token}/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          fileName: 'a.pdf',
          contentType: 'application/pdf',
          size: 100,
          kind: 'file',
        }),
      })
    ).json()) as UploadIntent;
    const response = await fetch(`${misconfigured.baseUrl}/u/${token}/uploads/${intent.uploadId}/complete`, {
      method: 'POST',
    });
    const body = (await response.json()) as ErrorEnvelope;
    expect(response.status, JSON.stringify(body)).toBe(503);
    expect(body.error).toEqual({
      code: 'unavailable',
      message: 'File storage is unavailable; try again shortly.',
    });
  });
});

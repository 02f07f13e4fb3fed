import {
  completedFiles,
  DEFAULT_MAX_BYTES,
  type ErrorEnvelope,
  type UploadIntent,
  type UploadReceipt,
} from '@uplink/contracts';
import { hashSecret, MetricNames } from '@uplink/kit';
import { MongoUploadStore } from '@uplink/store/mongo';
import {
  eventually,
  exeBytes,
  heicPhoto,
  itOnServers,
  pdfBytes,
  put,
  startTestTelemetry,
  streamMessages,
  uploadWithIntent,
} from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { AbandonedUploadSweeper } from '../src/abandoned-uploads.ts';
import { verifiedBlobName } from '../src/blob-names.ts';

let gateway: UploadGatewayHarness;

beforeAll(async () => {
  gateway = await uploadGatewayHarness({ blockBytes: 64 * 1024 });
}, 60_000);

async function intentFor(token: string, body: Record<string, unknown>): Promise<UploadIntent> {
  const response = await gateway.post(`/u/${token}/uploads`, body);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as UploadIntent;
}

const pdfIntent = (size: number, fileName = 'invoice.pdf') => ({
  fileName,
  contentType: 'application/pdf',
  size,
  kind: 'file',
});

async function errorOf(response: Response): Promise<ErrorEnvelope['error']> {
  return ((await response.json()) as ErrorEnvelope).error;
}

/** The blob an intent's SAS URL points at: the path after account and container. */
function blobNameOf(intent: UploadIntent): string {
  return decodeURIComponent(new URL(intent.uploadUrl).pathname.split('/').slice(3).join('/'));
}

async function blobNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of gateway.container.listBlobsFlat()) names.push(blob.name);
  return names;
}

describe('the upload page', () => {
  it('GET and HEAD ten times leave the link pending, with the protective headers', async () => {
    const { linkId, url } = await gateway.createLink({ contextMessage: 'A photo of the label, please' });
    for (let i = 0; i < 10; i++) {
      const response = await fetch(url, { method: i % 2 === 0 ? 'GET' : 'HEAD' });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const response = await fetch(url);
    const html = await response.text();
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-robots-tag')).toContain('noindex');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toMatch(/'unsafe-eval'/);
    expect(csp).toContain(gateway.storageOrigin);
    expect(html).toContain('Acme Support');
    expect(html).toContain('support.acme.test');
    expect(html).toContain('A photo of the label, please');
    expect(await gateway.linkStatus(linkId)).toBe('pending');
  });

  it('answers 404 for unknown or malformed tokens and 410 for expired, used and revoked links', async () => {
    expect((await fetch(`${gateway.baseUrl}/u/${'x'.repeat(43)}`)).status).toBe(404);
    expect((await fetch(`${gateway.baseUrl}/u/..%2F..%2Fetc`)).status).toBe(404);

    const expired = await gateway.createLink({ expiresAt: new Date(Date.now() - 1000) });
    const page = await fetch(expired.url);
    expect(page.status).toBe(410);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const intent = await gateway.post(`/u/${expired.token}/uploads`, pdfIntent(100));
    expect(intent.status).toBe(410);
    expect((await errorOf(intent)).code).toBe('link_gone');

    const revoked = await gateway.createLink();
    await gateway.links.revoke(
      gateway.tenantId,
      revoked.linkId,
      { kind: 'agent', id: 'agent-1', name: 'Ada Agent', source: 'freshdesk' },
      new Date(),
    );
    expect((await fetch(revoked.url)).status).toBe(410);
    expect((await gateway.post(`/u/${revoked.token}/uploads`, pdfIntent(100))).status).toBe(410);
  });

  it('serves a page and scripts that carry no storage key, connection string or secret', async () => {
    const { url, token } = await gateway.createLink();
    const html = await (await fetch(url)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThan(0);
    const bodies = [html];
    for (const asset of assets) {
      const response = await fetch(`${gateway.baseUrl}${asset}`);
      expect(response.status, asset).toBe(200);
      if (/\.(js|css)$/.test(asset)) bodies.push(await response.text());
    }
    const azurite = inject('azurite');
    for (const body of bodies) {
      expect(body).not.toContain(azurite.accountKey);
      expect(body).not.toContain('AccountKey');
      expect(body).not.toContain(gateway.tenantId);
      expect(body).not.toContain(token);
      expect(body).not.toContain('upk_');
    }
    // Request log lines show the token's first characters only.
    const logged = JSON.stringify(gateway.infra.logs);
    expect(logged).toContain(`/u/${token.slice(0, 6)}`);
    expect(logged).not.toContain(token);
  });
});

describe('upload intents', () => {
  it('returns a SAS for one new blob that can create it and nothing else', async () => {
    const { token } = await gateway.createLink();
    const intent = await intentFor(token, pdfIntent(pdfBytes().length));
    expect(intent.method).toBe('PUT');
    expect(intent.blockBytes).toBeNull();
    expect(new Date(intent.expiresAt).getTime() - Date.now()).toBeGreaterThan(14 * 60 * 1000);
    expect(new Date(intent.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60 * 1000);
    const sas = new URL(intent.uploadUrl).searchParams;
    expect(sas.get('sp')).toBe('c');
    expect(sas.get('sr')).toBe('b');

    await uploadWithIntent(intent, pdfBytes());
    // Cannot read it back, cannot overwrite it, cannot write a sibling blob.
    expect((await fetch(intent.uploadUrl)).status).toBe(403);
    const overwrite = await fetch(intent.uploadUrl, { method: 'PUT', body: 'x', headers: intent.headers });
    expect(overwrite.status).toBeGreaterThanOrEqual(400);
    const url = new URL(intent.uploadUrl);
    url.pathname = `${url.pathname}-other`;
    const sibling = await fetch(url, { method: 'PUT', body: 'x', headers: intent.headers });
    expect(sibling.status).toBe(403);
    expect((await blobNames()).some((name) => name.endsWith('-other'))).toBe(false);
  });

  it('issues create+write only for staged blocks, and a SAS stops working after its expiry', async () => {
    const { token } = await gateway.createLink();
    const staged = await intentFor(token, pdfIntent(200 * 1024));
    expect(staged.blockBytes).toBe(64 * 1024);
    expect(new URL(staged.uploadUrl).searchParams.get('sp')).toBe('cw');

    const name = `expired-sas-${Date.now()}`;
    const old = await gateway.storage.uploadUrl(name, false, new Date(Date.now() - 16 * 60 * 1000));
    const late = await fetch(old.url, {
      method: 'PUT',
      body: 'late',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
    });
    expect(late.status).toBe(403);
    const fresh = await gateway.storage.uploadUrl(name, false, new Date());
    await put(fresh.url, new TextEncoder().encode('in time'), { 'x-ms-blob-type': 'BlockBlob' });
  });

  it('refuses types the kind or the policy does not allow (415) and files over the limit (413)', async () => {
    const { token } = await gateway.createLink();
    const exe = await gateway.post(`/u/${token}/uploads`, {
      fileName: 'setup.exe',
      contentType: 'application/x-msdownload',
      size: 1000,
      kind: 'file',
    });
    expect(exe.status).toBe(415);
    expect((await errorOf(exe)).code).toBe('unsupported_media_type');
    const pdfAsAudio = await gateway.post(`/u/${token}/uploads`, { ...pdfIntent(1000), kind: 'audio' });
    expect(pdfAsAudio.status).toBe(415);
    const tooLarge = await gateway.post(`/u/${token}/uploads`, pdfIntent(20 * 1024 * 1024 + 1));
    expect(tooLarge.status).toBe(413);
    expect((await errorOf(tooLarge)).message).toMatch(/20 MB/);
  });

  it('answers 400 with the field for malformed JSON and unknown fields', async () => {
    const { token } = await gateway.createLink();
    const malformed = await fetch(`${gateway.baseUrl}/u/${token}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"fileName": ',
    });
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).code).toBe('invalid_request');
    const unknown = await gateway.post(`/u/${token}/uploads`, { ...pdfIntent(10), owner: 'me' });
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).message).toContain('owner');
  });
});

describe('completion', () => {
  it('verifies the blob, marks the link received and publishes one upload.completed; a retry gets the same receipt', async () => {
    const { token, linkId } = await gateway.createLink({ contextMessage: 'The invoice, please' });
    const bytes = pdfBytes();
    const intent = await intentFor(token, pdfIntent(bytes.length, '../../etc/passwd.pdf'));
    await uploadWithIntent(intent, bytes);
    const first = await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`);
    expect(first.status).toBe(200);
    const receipt = (await first.json()) as UploadReceipt;
    expect(receipt.status).toBe('received');
    const again = await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`);
    expect(await again.json()).toEqual(receipt);
    expect(await gateway.linkStatus(linkId)).toBe('received');
    expect((await fetch(`${gateway.baseUrl}/u/${token}`)).status).toBe(410);

    const events = await eventuallyEvents(linkId, 1);
    const file = events.flatMap(completedFiles)[0];
    expect(file).toMatchObject({
      fileName: 'passwd.pdf',
      contentType: 'application/pdf',
      size: bytes.length,
    });
    expect(file?.etag).toBeTruthy();
    expect(events[0]?.data.contextMessage).toBe('The invoice, please');
    // The file kept is the verified copy, not the blob the SAS can write; the blob name says
    // nothing about the tenant or the link.
    expect(file?.blobName).toBe(verifiedBlobName(blobNameOf(intent)));
    expect(file?.blobName).not.toContain(gateway.tenantId);
    expect(file?.blobName).not.toContain(linkId);
    const stored = await gateway.container.getBlobClient(file?.blobName ?? '').downloadToBuffer();
    expect(new Uint8Array(stored)).toEqual(bytes);
    expect(await blobNames()).not.toContain(blobNameOf(intent));
  });

  it('serves a file with its verified type, whatever content type the browser gave the blob', async () => {
    const { token, linkId } = await gateway.createLink();
    const bytes = pdfBytes();
    const intent = await intentFor(token, pdfIntent(bytes.length));
    // A hostile page could send any header with its PUT.
    await uploadWithIntent(
      { ...intent, headers: { ...intent.headers, 'x-ms-blob-content-type': 'text/html' } },
      bytes,
    );
    expect((await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`)).status).toBe(200);
    const file = (await eventuallyEvents(linkId, 1)).flatMap(completedFiles)[0];
    if (!file) throw new Error('no upload.completed');
    expect(file.contentType).toBe('application/pdf');
    const url = await gateway.storage.readUrl(file.blobName, 60_000, new Date(), {
      contentType: file.contentType,
      fileName: file.fileName,
      disposition: 'attachment',
    });
    const response = await fetch(url);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename\*=UTF-8''invoice\.pdf$/,
    );
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it('accepts an iPhone photo (HEIC) as an image within the image limit, and keeps it as it is', async () => {
    const photo = heicPhoto();
    const heic = { fileName: 'IMG_0042.HEIC', contentType: 'image/heic', size: photo.length, kind: 'file' };
    try {
      await gateway.updateMediaPolicy({ categories: { image: { maxBytes: photo.length - 1 } } });
      const over = await gateway.createLink();
      const refused = await gateway.post(`/u/${over.token}/uploads`, heic);
      expect(refused.status).toBe(413);
    } finally {
      await gateway.updateMediaPolicy({ categories: { image: { maxBytes: DEFAULT_MAX_BYTES } } });
    }
    const { token, linkId } = await gateway.createLink();
    const intent = await intentFor(token, heic);
    await uploadWithIntent(intent, photo);
    expect((await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`)).status).toBe(200);
    const file = (await eventuallyEvents(linkId, 1)).flatMap(completedFiles)[0];
    expect(file).toMatchObject({ fileName: 'IMG_0042.HEIC', contentType: 'image/heic', size: photo.length });
    const stored = await gateway.container.getBlobClient(file?.blobName ?? '').downloadToBuffer();
    expect(new Uint8Array(stored)).toEqual(photo);
  });

  it('assembles staged blocks into the blob and accepts it', async () => {
    const { token, linkId } = await gateway.createLink();
    const bytes = pdfBytes(150 * 1024);
    const intent = await intentFor(token, pdfIntent(bytes.length));
    expect(intent.blockBytes).not.toBeNull();
    await uploadWithIntent(intent, bytes);
    expect((await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`)).status).toBe(200);
    expect(await gateway.linkStatus(linkId)).toBe('received');
  });

  it('rejects an .exe renamed .pdf, deletes it, and the link stays usable', async () => {
    const { token, linkId } = await gateway.createLink();
    const exe = exeBytes();
    const intent = await intentFor(token, pdfIntent(exe.length, 'invoice.pdf'));
    await uploadWithIntent(intent, exe);
    const response = await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`);
    expect(response.status).toBe(422);
    const error = await errorOf(response);
    expect(error.code).toBe('upload_rejected');
    expect(error.message).toMatch(/program|executable|exe/i);
    expect(await gateway.linkStatus(linkId)).toBe('pending');
    expect(await blobNames()).not.toContain(blobNameOf(intent));

    const retry = await intentFor(token, pdfIntent(pdfBytes().length));
    await uploadWithIntent(retry, pdfBytes());
    expect((await gateway.post(`/u/${token}/uploads/${retry.uploadId}/complete`)).status).toBe(200);
  });

  it('rejects a blob larger than declared', async () => {
    const { token, linkId } = await gateway.createLink();
    const intent = await intentFor(token, pdfIntent(100));
    await uploadWithIntent(intent, pdfBytes(400));
    const response = await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`);
    expect(response.status).toBe(422);
    expect((await errorOf(response)).message).toMatch(/bytes/);
    expect(await gateway.linkStatus(linkId)).toBe('pending');
  });

  it('of 50 concurrent completions exactly one wins; the others get 409 and their blobs are deleted', async () => {
    const { token, linkId } = await gateway.createLink();
    const bytes = pdfBytes();
    const intents = await Promise.all(
      Array.from({ length: 50 }, (_, i) => intentFor(token, pdfIntent(bytes.length, `copy-${i}.pdf`))),
    );
    await Promise.all(intents.map((intent) => uploadWithIntent(intent, bytes)));
    const statuses = await Promise.all(
      intents.map(
        async (intent) => (await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`)).status,
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    expect(await gateway.linkStatus(linkId)).toBe('received');
    const events = await eventuallyEvents(linkId, 1);
    const stored = new Set(await blobNames());
    const ours = intents.flatMap((intent) => [blobNameOf(intent), verifiedBlobName(blobNameOf(intent))]);
    expect(ours.filter((name) => stored.has(name))).toEqual([events.flatMap(completedFiles)[0]?.blobName]);
    // Nothing more arrives later.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await gateway.completedEvents()).filter((e) => e.linkId === linkId)).toHaveLength(1);
  }, 60_000);

  it('neutralises over-long file names, keeping the extension', async () => {
    const { token, linkId } = await gateway.createLink();
    const bytes = pdfBytes();
    const intent = await intentFor(token, pdfIntent(bytes.length, `${'ä'.repeat(900)}\u202e.pdf`));
    await uploadWithIntent(intent, bytes);
    expect((await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`)).status).toBe(200);
    const name = (await eventuallyEvents(linkId, 1)).flatMap(completedFiles)[0]?.fileName ?? '';
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(200);
    expect(name.endsWith('.pdf')).toBe(true);
    expect(name).not.toContain('\u202e');
  });
});

describe('abandoned uploads', () => {
  itOnServers("moves an upload record back to 'issued' straight in MongoDB")(
    'deletes the blobs of intents never completed, and keeps a received one whose record was not settled',
    async () => {
      const uploads = new MongoUploadStore(gateway.infra.servers().mongo.db);
      const bytes = pdfBytes();
      const abandonedLink = await gateway.createLink();
      const abandoned = await intentFor(abandonedLink.token, pdfIntent(bytes.length));
      await uploadWithIntent(abandoned, bytes);
      // A completion that died after making the verified copy: the copy is the intent's too.
      const abandonedEtag = (await gateway.storage.facts(blobNameOf(abandoned)))?.etag ?? '';
      const abandonedCopy = verifiedBlobName(blobNameOf(abandoned));
      expect(
        (await gateway.storage.copyOnce(blobNameOf(abandoned), abandonedEtag, abandonedCopy, new Date()))
          .outcome,
      ).toBe('copied');
      const receivedLink = await gateway.createLink();
      const received = await intentFor(receivedLink.token, pdfIntent(bytes.length));
      await uploadWithIntent(received, bytes);
      expect(
        (await gateway.post(`/u/${receivedLink.token}/uploads/${received.uploadId}/complete`)).status,
      ).toBe(200);
      // As if the process died between the link update and settling the upload record.
      await uploads.collection.updateOne({ _id: received.uploadId }, { $set: { state: 'issued' } });

      const later = new Date(Date.now() + 2 * 60 * 60 * 1000);
      // Viewer links: one long expired (purged), one still valid (kept).
      const shares = gateway.store.shares;
      const file = (await eventuallyEvents(receivedLink.linkId, 1)).flatMap(completedFiles)[0];
      if (!file) throw new Error('no upload.completed');
      const share = { tenantId: gateway.tenantId, linkId: receivedLink.linkId, file };
      const old = await shares.create({
        ...share,
        ttlMs: 1_000,
        now: new Date(Date.now() - 30 * 24 * 60 * 60 * 1000),
      });
      const fresh = await shares.create({ ...share, ttlMs: 24 * 60 * 60 * 1000, now: new Date() });
      const sweeper = new AbandonedUploadSweeper({
        uploads,
        links: gateway.links,
        shares,
        storage: gateway.storage,
        clock: { now: () => later },
        logger: gateway.infra.logger,
        graceMs: 60 * 60 * 1000,
        keepRecordsMs: 7 * 24 * 60 * 60 * 1000,
      });
      await sweeper.sweep();
      const names = await blobNames();
      expect(names).not.toContain(blobNameOf(abandoned));
      expect(names).not.toContain(abandonedCopy);
      expect(names).toContain(file.blobName);
      expect((await uploads.get(abandoned.uploadId))?.state).toBe('abandoned');
      expect((await uploads.get(received.uploadId))?.state).toBe('completed');
      expect((await shares.findByTokenHash(hashSecret(old.token), later)).outcome).toBe('not_found');
      expect((await shares.findByTokenHash(hashSecret(fresh.token), later)).outcome).toBe('found');
    },
  );
});

describe('abandoned uploads, whatever the SAS did', () => {
  it('deletes a snapshotted and a leased blob, and goes on past an intent that fails, counting it', async () => {
    const telemetry = await startTestTelemetry('abandoned-uploads-test');
    try {
      const { uploads } = gateway.store;
      const bytes = pdfBytes(100 * 1024);
      const intents: UploadIntent[] = [];
      for (let i = 0; i < 4; i++) {
        const { token } = await gateway.createLink();
        const intent = await intentFor(token, pdfIntent(bytes.length));
        await uploadWithIntent(intent, bytes);
        intents.push(intent);
      }
      const [snapshotted, leased, failing, plain] = intents;
      if (!snapshotted || !leased || !failing || !plain) throw new Error('no intents');
      await put(`${snapshotted.uploadUrl}&comp=snapshot`, new Uint8Array(), {});
      await put(`${leased.uploadUrl}&comp=lease`, new Uint8Array(), {
        'x-ms-lease-action': 'acquire',
        'x-ms-lease-duration': '-1',
      });
      const sweeper = new AbandonedUploadSweeper({
        uploads,
        links: gateway.links,
        shares: gateway.store.shares,
        storage: {
          // Storage refuses this one blob and serves the rest.
          async delete(blobName) {
            if (blobName === blobNameOf(failing)) throw new Error('storage refused the delete');
            await gateway.storage.delete(blobName);
          },
        },
        clock: { now: () => new Date(Date.now() + 2 * 60 * 60 * 1000) },
        logger: gateway.infra.logger,
        graceMs: 60 * 60 * 1000,
        keepRecordsMs: 7 * 24 * 60 * 60 * 1000,
      });
      // Other tests' intents may be swept too (one run, so each is tried once): look at ours only.
      await sweeper.sweep(10_000);

      const stored: string[] = [];
      for await (const blob of gateway.container.listBlobsFlat({ includeSnapshots: true }))
        stored.push(blob.name);
      for (const gone of [snapshotted, leased, plain]) {
        expect(stored).not.toContain(blobNameOf(gone));
        expect((await uploads.get(gone.uploadId))?.state).toBe('abandoned');
      }
      expect(stored).toContain(blobNameOf(failing));
      expect((await uploads.get(failing.uploadId))?.state).toBe('issued');
      const failures = (await telemetry.collect()).filter(
        (point) => point.name === MetricNames.sweepFailures,
      );
      expect(failures.map((point) => [point.attributes, point.value])).toEqual([
        [{ sweep: 'abandoned_uploads' }, 1],
      ]);
    } finally {
      await telemetry.shutdown();
    }
  });
});

describe('when NATS is down', () => {
  itOnServers('stops and restarts nats-server')(
    'still completes the upload, and publishes upload.completed once NATS is back',
    async () => {
      const { token, linkId } = await gateway.createLink();
      const bytes = pdfBytes();
      const intent = await intentFor(token, pdfIntent(bytes.length));
      await uploadWithIntent(intent, bytes);
      const { nats } = gateway.infra.servers();
      await nats.stop();
      try {
        expect((await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`)).status).toBe(200);
        expect(await gateway.linkStatus(linkId)).toBe('received');
      } finally {
        await nats.start();
      }
      expect(await eventuallyEvents(linkId, 1)).toHaveLength(1);
    },
    30_000,
  );
});

describe('receiving turned off', () => {
  it('answers 403 with the tenant message and tells the agent once', async () => {
    const { token, linkId } = await gateway.createLink();
    await gateway.updateMediaPolicy({
      receiveEnabled: false,
      disabledMessage: 'Please email files to help@acme.test.',
    });
    try {
      for (let i = 0; i < 3; i++) {
        const response = await gateway.post(`/u/${token}/uploads`, pdfIntent(100));
        expect(response.status).toBe(403);
        expect(await response.json()).toEqual({
          error: { code: 'receiving_disabled', message: 'Please email files to help@acme.test.' },
        });
      }
      const rejected = await eventuallyMessages('upload.rejected', linkId, 1);
      expect(rejected[0]).toMatchObject({ type: 'upload.rejected', data: { reason: 'receiving_disabled' } });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await eventuallyMessages('upload.rejected', linkId, 1)).toHaveLength(1);
      expect(await gateway.linkStatus(linkId)).toBe('pending');
    } finally {
      await gateway.updateMediaPolicy({ receiveEnabled: true, disabledMessage: null });
    }
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a client exceeds its budget', async () => {
    const limited = await uploadGatewayHarness({ ratePerMinute: 3 });
    const { token } = await limited.createLink();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${limited.baseUrl}/u/${token}/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(pdfIntent(100)),
      });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        expect((await errorOf(response)).code).toBe('rate_limited');
      }
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  }, 30_000);

  it('counts clients by X-Forwarded-For only behind a trusted proxy', async () => {
    const pageStatuses = async (harness: UploadGatewayHarness) => {
      const { url } = await harness.createLink();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await fetch(url, { headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } });
        statuses.push(response.status);
        await response.arrayBuffer();
      }
      return statuses;
    };
    const behindProxy = await uploadGatewayHarness({ ratePerMinute: 2, trustProxy: '127.0.0.1' });
    const direct = await uploadGatewayHarness({ ratePerMinute: 2 });
    // Four different customers behind the proxy each have their own budget...
    expect(await pageStatuses(behindProxy)).toEqual([200, 200, 200, 200]);
    // ...while a client that is not a trusted proxy cannot pick its address by a header.
    expect(await pageStatuses(direct)).toEqual([200, 200, 429, 429]);
  }, 30_000);
});

/** The link's upload.completed events once there are `count` (the request may fail while NATS reconnects). */
async function eventuallyEvents(linkId: string, count: number) {
  return eventually(
    `${count} upload.completed for ${linkId}`,
    async () => {
      const events = (await gateway.completedEvents()).filter((event) => event.linkId === linkId);
      return events.length >= count ? events : undefined;
    },
    20_000,
  );
}

async function eventuallyMessages(subject: string, linkId: string, count: number) {
  return eventually(`${count} ${subject} for ${linkId}`, async () => {
    const messages = (await streamMessages(gateway.bus, subject))
      .map((msg) => msg.json() as { linkId: string; type: string })
      .filter((event) => event.linkId === linkId);
    return messages.length >= count ? messages : undefined;
  });
}

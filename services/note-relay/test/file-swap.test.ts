// A verified file cannot be swapped after completion. A file over UPLOAD_BLOCK_BYTES gets a
// create+write SAS valid 15 minutes; after completion and delivery, the customer PUTs a program to
// the same SAS URL. Every read Uplink hands out must still serve the bytes that were verified:
// the console preview (link-service file-url, issued before and after), the /f/ viewer, the
// webhook's read URL, and the ETag-conditional stream the Freshdesk attachment is read from.
// Real NATS, MongoDB-wire and Azurite; the webhook receiver is a local HTTP server.
import { createHash } from 'node:crypto';
import type { UploadIntent } from '@uplink/contracts';
import { prepareService, systemClock } from '@uplink/kit';
import { buildLinkService } from '@uplink/link-service';
import { exeBytes, pdfBytes, uploadWithIntent } from '@uplink/testing';
import {
  type NoteRelayHarness,
  noteRelayHarness,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@uplink/testing/note-relay';
import { API_KEY } from '@uplink/testing/upload-gateway';
import { beforeAll, expect, it } from 'vitest';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let h: NoteRelayHarness;
let webhook: WebhookReceiver;

beforeAll(async () => {
  h = await noteRelayHarness();
  webhook = await startWebhookReceiver();
  await h.setDestinations({ webhook: { url: webhook.url, secret: webhook.secret } });
}, 60_000);

/** The digest of what a read URL serves; a refusal counts as serving nothing. */
async function servedBy(url: string): Promise<string | undefined> {
  const response = await fetch(url);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return response.ok ? sha256(bytes) : undefined;
}

function attribute(html: string, pattern: RegExp): string {
  const value = pattern.exec(html)?.[1];
  if (value === undefined) throw new Error(`${pattern} not in the page`);
  return value.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');
}

it('after completion and delivery, a PUT through the same SAS changes nothing any read URL serves', async () => {
  const api = await buildLinkService({
    config: {
      PUBLIC_UPLOAD_BASE_URL: `${h.gateway.baseUrl}/u/`,
      UPLINK_BOOTSTRAP_API_KEY: API_KEY,
    },
    logger: h.infra.logger,
    store: await h.infra.store(),
    bus: h.bus,
    clock: systemClock,
    storage: h.gateway.storage,
  });
  await prepareService(api);
  try {
    const verified = pdfBytes(5 * 1024 * 1024);
    const { linkId, token } = await h.gateway.createLink({ ticket: { provider: 'webhook', id: 'swap-1' } });
    const intentResponse = await fetch(`${h.gateway.baseUrl}/u/${token}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        fileName: 'label.pdf',
        contentType: 'application/pdf',
        size: verified.length,
        kind: 'file',
      }),
    });
    const intent = (await intentResponse.json()) as UploadIntent;
    expect(intent.blockBytes, 'a staged upload: its SAS may write').not.toBeNull();
    await uploadWithIntent(intent, verified);
    const complete = await fetch(`${h.gateway.baseUrl}/u/${token}/uploads/${intent.uploadId}/complete`, {
      method: 'POST',
    });
    expect(complete.status).toBe(200);
    expect((await h.settled(linkId)).status).toBe('delivered');
    const hook = webhook.received.map(({ body }) => JSON.parse(body)).find((body) => body.linkId === linkId);
    if (!hook) throw new Error('no webhook for the link');
    const webhookUrl: string = hook.file.url;

    const headers = { authorization: `Bearer ${API_KEY}` };
    const previewUrl = async () => {
      const preview = await api.app.inject({ url: `/v1/links/${linkId}/file-url`, headers });
      return preview.statusCode === 200 ? (preview.json().url as string) : undefined;
    };
    const previewBefore = await previewUrl();
    const link = await h.link(linkId);
    const file = link.files?.[0];
    if (!file) throw new Error('no file on the link');
    const shares = h.store.shares;
    const share = await shares.create({
      tenantId: link.tenantId,
      linkId,
      file,
      ttlMs: 60 * 60 * 1000,
      now: new Date(),
    });
    const digest = sha256(verified);
    expect(await servedBy(webhookUrl)).toBe(digest);

    // The swap: an 8 MiB program through the same SAS, which is still valid.
    const program = new Uint8Array(8 * 1024 * 1024);
    program.set(exeBytes());
    await uploadWithIntent(intent, program);

    const reads: [string, string | undefined][] = [
      ['webhook read URL', await servedBy(webhookUrl)],
      ['console preview issued before', previewBefore && (await servedBy(previewBefore))],
    ];
    const previewAfter = await previewUrl();
    reads.push(['console preview issued after', previewAfter && (await servedBy(previewAfter))]);
    const viewer = await fetch(`${h.gateway.baseUrl}/f/${share.token}`);
    const page = await viewer.text();
    if (viewer.status === 200) {
      const download = attribute(page, /<a class="button primary" href="([^"]+)"/);
      reads.push(['viewer download', await servedBy(download)]);
    }
    const opened = await h.gateway.storage.openRead(file.blobName, file.etag);
    if (opened) {
      const chunks: Buffer[] = [];
      for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
      reads.push(['ETag-conditional stream (Freshdesk attachment)', sha256(Buffer.concat(chunks))]);
    }
    for (const [what, served] of reads) {
      // The verified bytes, or nothing: never the program.
      expect([digest, undefined], what).toContain(served);
    }
    // And the file is still there for those who should see it.
    expect(reads.filter(([, served]) => served === digest).map(([what]) => what)).toEqual([
      'webhook read URL',
      'console preview issued before',
      'console preview issued after',
      'viewer download',
      'ETag-conditional stream (Freshdesk attachment)',
    ]);
  } finally {
    await api.app.close();
  }
}, 60_000);

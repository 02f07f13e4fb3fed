// SVGs through the real upload API (Azurite, MongoDB-wire, NATS): one that would make the agent's
// browser fetch a tracker and navigate away is refused and its blob deleted; an inert one passes.
import type { ErrorEnvelope, UploadIntent } from '@uplink/contracts';
import { uploadWithIntent } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, it } from 'vitest';

let gateway: UploadGatewayHarness;
beforeAll(async () => {
  gateway = await uploadGatewayHarness();
}, 60_000);

const TRACKER_SVG = new TextEncoder().encode(
  '<svg xmlns="http://www.w3.org/2000/svg" xmlns:html="http://www.w3.org/1999/xhtml" width="10" height="10">' +
    '<style>@import url(http://tracker.example/seen.css);</style>' +
    '<image href="http://tracker.example/pixel.png" width="1" height="1"/>' +
    '<html:meta http-equiv="refresh" content="0;url=https://phishing.example/"/>' +
    '<rect width="10" height="10" fill="#0a0"/></svg>',
);

const GRADIENT_SVG = new TextEncoder().encode(
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs>' +
    '<linearGradient id="g"><stop offset="0" stop-color="#0a0"/><stop offset="1" stop-color="#050"/></linearGradient>' +
    '</defs><rect width="10" height="10" fill="url(#g)"/></svg>',
);

async function uploadSvg(
  token: string,
  bytes: Uint8Array,
): Promise<{ intent: UploadIntent; completion: Response }> {
  const intentResponse = await fetch(`${gateway.baseUrl}/u/${token}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      fileName: 'logo.svg',
      contentType: 'image/svg+xml',
      size: bytes.length,
      kind: 'file',
    }),
  });
  expect(intentResponse.status).toBe(201);
  const intent = (await intentResponse.json()) as UploadIntent;
  await uploadWithIntent(intent, bytes);
  const completion = await fetch(`${gateway.baseUrl}/u/${token}/uploads/${intent.uploadId}/complete`, {
    method: 'POST',
  });
  return { intent, completion };
}

async function blobExists(intent: UploadIntent): Promise<boolean> {
  const name = decodeURIComponent(new URL(intent.uploadUrl).pathname.split('/').slice(3).join('/'));
  return gateway.container.getBlockBlobClient(name).exists();
}

describe('SVG uploads', () => {
  it('refuses an SVG with external references (422 upload_rejected), deletes its blob, keeps the link usable', async () => {
    const { token, linkId } = await gateway.createLink();
    const { intent, completion } = await uploadSvg(token, TRACKER_SVG);
    expect(completion.status).toBe(422);
    const { error } = (await completion.json()) as ErrorEnvelope;
    expect(error.code).toBe('upload_rejected');
    expect(error.message).toMatch(/^The SVG image contains .*reach other sites.*not accepted\.$/);
    expect(await blobExists(intent)).toBe(false);
    expect(await gateway.linkStatus(linkId)).toBe('pending');

    const inert = await uploadSvg(token, GRADIENT_SVG);
    expect(inert.completion.status).toBe(200);
    expect(await gateway.linkStatus(linkId)).toBe('received');
  }, 30_000);
});

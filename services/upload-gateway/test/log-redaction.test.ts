// The request logs of upload-gateway never carry a link or viewer token, however the client
// spells the path: tokens are recognised after decoding, by the route parameter's name.
import { randomBytes } from 'node:crypto';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, expect, it } from 'vitest';

let h: UploadGatewayHarness;
let token: string;
beforeAll(async () => {
  h = await uploadGatewayHarness();
  ({ token } = await h.createLink());
});

const percentEncoded = (text: string) =>
  [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

it.each([
  ['the upload page', (t: string) => `/u/${t}`],
  ['the upload page, percent-encoded', (t: string) => `/u/${percentEncoded(t)}`],
  [
    'the upload page, its first letter encoded',
    (t: string) => `/u/${percentEncoded(t.slice(0, 1))}${t.slice(1)}`,
  ],
  ['the upload API, percent-encoded', (t: string) => `/u/${percentEncoded(t)}/uploads`],
  ['a path no route has', (t: string) => `/u/${percentEncoded(t)}/nothing`],
])('never logs a link token in the path of %s', async (_, path) => {
  const before = h.infra.logs.length;
  const res = await fetch(`${h.baseUrl}${path(token)}`, {
    method: path(token).endsWith('/uploads') ? 'POST' : 'GET',
  });
  await res.body?.cancel();
  expect(res.status).toBeLessThan(500);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const text = JSON.stringify(h.infra.logs.slice(before));
  expect(text).toContain('incoming request');
  expect(text).not.toContain(token.slice(6));
  expect(text).not.toContain(percentEncoded(token.slice(6)));
});

it.each([
  ['plain', (t: string) => `/f/${t}`],
  ['percent-encoded', (t: string) => `/f/${percentEncoded(t)}`],
])('never logs a viewer token in the path (%s)', async (_, path) => {
  // Any well-formed viewer token: found or not, the request line carries it.
  const viewerToken = randomBytes(32).toString('base64url');
  const before = h.infra.logs.length;
  const res = await fetch(`${h.baseUrl}${path(viewerToken)}`);
  await res.body?.cancel();
  expect(res.status).toBe(404);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const text = JSON.stringify(h.infra.logs.slice(before));
  expect(text).toContain('incoming request');
  expect(text).not.toContain(viewerToken.slice(6));
  expect(text).not.toContain(percentEncoded(viewerToken.slice(6)));
});

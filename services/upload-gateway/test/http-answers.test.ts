// What every answer of upload-gateway, the customers' host, carries: the error envelope (also
// from Node's HTTP parser), nosniff, and no Swagger UI at all (only the OpenAPI document).
import { rawHttp } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, it } from 'vitest';

let h: UploadGatewayHarness;
let port: number;
beforeAll(async () => {
  h = await uploadGatewayHarness();
  port = Number(new URL(h.baseUrl).port);
});

const envelope = { error: { code: expect.any(String), message: expect.any(String) } };

describe('requests Node refuses before any route', () => {
  it('answers 20 kB of headers with 431 in the error envelope', async () => {
    const padding = Array.from({ length: 20 }, (_, i) => `x-padding-${i}: ${'a'.repeat(1_000)}`);
    const { answer } = rawHttp(
      port,
      ['GET /u/x HTTP/1.1', 'host: 127.0.0.1', ...padding, 'connection: close', '', ''].join('\r\n'),
    );
    const { status, headers, body } = await answer;
    expect(status).toBe(431);
    expect(headers['content-type']).toMatch(/^application\/json/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(body)).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
  });
});

describe('the customers host', () => {
  it.each([
    '/docs',
    '/docs/',
    '/docs/static/index.html',
    '/docs/static/index.html?x',
    '/docs/static/swagger-ui.css',
  ])('has no Swagger UI: %s is 404 in the error envelope', async (path) => {
    const res = await fetch(`${h.baseUrl}${path}`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(envelope);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves an icon at /favicon.ico, which every browser asks for', async () => {
    const res = await fetch(`${h.baseUrl}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    const icon = new Uint8Array(await res.arrayBuffer());
    // An ICO header with one image, a PNG.
    expect([...icon.subarray(0, 6)]).toEqual([0, 0, 1, 0, 1, 0]);
    expect(Buffer.from(icon.subarray(22, 26)).toString('latin1')).toBe('\x89PNG');
  });

  it('keeps the OpenAPI document at /docs/json', async () => {
    const res = await fetch(`${h.baseUrl}/docs/json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { paths: object }).paths).toHaveProperty(['/u/{token}/uploads']);
  });

  it('sends nosniff on a JSON 200, a JSON 4xx and a 5xx', async () => {
    const { token } = await h.createLink();
    const ok = await fetch(`${h.baseUrl}/healthz`);
    expect(ok.status).toBe(200);
    const refused = await fetch(`${h.baseUrl}/u/${token}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        fileName: 'a.exe',
        contentType: 'application/x-msdownload',
        size: 10,
        kind: 'file',
      }),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(await refused.clone().json()).toEqual(envelope);
    h.service.app.draining = true;
    const unavailable = await fetch(`${h.baseUrl}/readyz`).finally(() => {
      h.service.app.draining = false;
    });
    expect(unavailable.status).toBe(503);
    for (const res of [ok, refused, unavailable]) {
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

// What every answer of link-service carries, whatever refuses the request: the error envelope
// (also from Node's HTTP parser), nosniff, and a Swagger UI that cannot be framed or loop.
import type { AddressInfo } from 'node:net';
import { rawHttp } from '@uplink/testing';
import { auth, type LinkServiceHarness, linkServiceHarness } from '@uplink/testing/link-service';
import { beforeAll, describe, expect, it } from 'vitest';

let h: LinkServiceHarness;
let base: string;
let port: number;
beforeAll(async () => {
  h = await linkServiceHarness();
  await h.service.app.listen({ host: '127.0.0.1', port: 0 });
  port = (h.service.app.server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

describe('requests Node refuses before any route', () => {
  it('answers 20 kB of headers with 431 in the error envelope', async () => {
    const padding = Array.from({ length: 20 }, (_, i) => `x-padding-${i}: ${'a'.repeat(1_000)}`);
    const { answer } = rawHttp(
      port,
      ['GET /v1/links HTTP/1.1', 'host: 127.0.0.1', ...padding, 'connection: close', '', ''].join('\r\n'),
    );
    const { status, headers, body } = await answer;
    expect(status).toBe(431);
    expect(headers['content-type']).toMatch(/^application\/json/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(body)).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
  });

  it('answers a request that is not HTTP with 400 in the error envelope', async () => {
    const { answer } = rawHttp(port, 'GET /v1/links HTTP/1.1\r\nhost: 127.0.0.1\r\nbad header\r\n\r\n');
    const { status, headers, body } = await answer;
    expect(status).toBe(400);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(body)).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
  });
});

describe('the console host', () => {
  it('serves an icon at /favicon.ico, which every browser asks for', async () => {
    const res = await fetch(`${base}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    const icon = new Uint8Array(await res.arrayBuffer());
    // An ICO header with one image, a PNG.
    expect([...icon.subarray(0, 6)]).toEqual([0, 0, 1, 0, 1, 0]);
    expect(Buffer.from(icon.subarray(22, 26)).toString('latin1')).toBe('\x89PNG');
  });
});

describe('nosniff', () => {
  it('is on a JSON 200, a JSON 4xx and a 5xx', async () => {
    const ok = await fetch(`${base}/v1/settings`, { headers: auth() });
    expect(ok.status).toBe(200);
    const refused = await fetch(`${base}/v1/settings`);
    expect(refused.status).toBe(401);
    const tooLarge = await fetch(`${base}/v1/links`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({
        ticket: { provider: 'freshdesk', id: '1' },
        contextMessage: 'x'.repeat(100_000),
      }),
    });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    h.service.app.draining = true;
    const unavailable = await fetch(`${base}/readyz`).finally(() => {
      h.service.app.draining = false;
    });
    expect(unavailable.status).toBe(503);
    for (const res of [ok, refused, tooLarge, unavailable]) {
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

describe('the Swagger UI', () => {
  it('may load only its own files and is never framed', async () => {
    for (const path of ['/docs', '/docs/', '/docs/static/swagger-initializer.js']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it.each([
    '/docs/static/index.html',
    '/docs/static/index.html?x',
    '/docs/static/index.html?url=https://evil.example/',
    '/docs/static/index.html?a=1&b=%2F',
  ])('sends %s to the UI once, never to itself', async (path) => {
    const res = await fetch(`${base}${path}`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/docs/');
    expect((await fetch(`${base}${path}`)).status).toBe(200);
  });

  it('keeps the OpenAPI document at /docs/json', async () => {
    const res = await fetch(`${base}/docs/json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { paths: object }).paths).toHaveProperty(['/v1/links']);
  });
});

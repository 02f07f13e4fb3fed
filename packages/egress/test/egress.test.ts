// The egress client against real sockets: a listener on every loopback address that counts what
// reaches it, so "refused" means nothing was ever sent, not merely that an error came back.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EgressClient, EgressRefusedError, isEgressRefusal, type Resolve } from '../src/index.ts';

let server: Server;
let port: number;
const received: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    received.push(request);
    if (request.url === '/redirect') {
      response.writeHead(302, { location: `http://127.0.0.1:${port}/landed` }).end();
    } else if (request.url === '/big') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('x'.repeat(4 * 1024 * 1024));
    } else if (request.url === '/hang') {
      // Never answers.
    } else {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => response.writeHead(200, { 'x-echo': 'yes' }).end(`got ${body}`));
    }
  });
  // '::' takes IPv4 too: 127.0.0.1, ::1, 0.0.0.0 and the mapped forms all reach it.
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  received.length = 0;
});

const resolveTo =
  (table: Record<string, string[]>): Resolve =>
  async (hostname) =>
    (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const request = { method: 'POST' as const, body: 'hello', timeoutMs: 5_000, maxResponseBytes: 1024 };

describe('with loopback not allowed (production)', () => {
  const resolved: string[] = [];
  const egress = new EgressClient({
    allowLoopback: false,
    resolve: async (hostname) => {
      resolved.push(hostname);
      return resolveTo({
        'rebound.example.com': ['127.0.0.1'],
        'six.example.com': ['::1'],
        'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
        'mapped.example.com': ['::ffff:127.0.0.1'],
        'metadata.example.com': ['169.254.169.254'],
      })(hostname);
    },
  });
  afterAll(() => egress.close());

  it.each([
    'http://127.0.0.1:PORT/admin/tenants',
    'http://127.1:PORT/',
    'http://0x7f000001:PORT/',
    'http://2130706433:PORT/',
    'http://017700000001:PORT/',
    'http://0.0.0.0:PORT/',
    'http://0:PORT/',
    'http://[::1]:PORT/',
    'http://[0:0:0:0:0:0:0:1]:PORT/',
    'http://[::ffff:127.0.0.1]:PORT/',
    'http://[::ffff:7f00:1]:PORT/',
    'http://[::]:PORT/',
    'http://localhost:PORT/',
    'http://LOCALHOST.:PORT/',
    'http://api.localhost:PORT/',
    'http://vm:PORT/',
    'http://rebound.example.com:PORT/',
    'http://six.example.com:PORT/',
    'http://mixed.example.com:PORT/',
    'http://mapped.example.com:PORT/',
    'http://metadata.example.com:PORT/latest/meta-data/',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1/',
    'https://metadata.google.internal/computeMetadata/v1/',
    'http://user:pass@127.0.0.1:PORT/',
    'ftp://127.0.0.1:PORT/',
  ])('never calls %s', async (template) => {
    const url = template.replace('PORT', String(port));
    const error = await egress.request(url, request).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isEgressRefusal(error)).toBe(true);
    // The reason says nothing about the target: no status, no address.
    expect((error as Error).message).not.toMatch(/\d{3}|127|::1|169\.254/);
    expect(received).toHaveLength(0);
  });

  it('refuses internal names without asking DNS', async () => {
    resolved.length = 0;
    await expect(egress.request('https://metadata.google.internal/', request)).rejects.toBeInstanceOf(
      EgressRefusedError,
    );
    await expect(egress.request('https://localhost/', request)).rejects.toBeInstanceOf(EgressRefusedError);
    expect(resolved).toEqual([]);
  });
});

describe('with loopback allowed (development and tests)', () => {
  const egress = new EgressClient({
    allowLoopback: true,
    resolve: resolveTo({ 'double.example.com': ['127.0.0.1'], 'private.example.com': ['10.1.2.3'] }),
  });
  afterAll(() => egress.close());

  it('calls loopback, by address or by a name resolved at connect time, and reads the answer', async () => {
    const direct = await egress.request(`http://127.0.0.1:${port}/echo`, request);
    expect(direct).toMatchObject({ status: 200, ok: true, text: 'got hello', complete: true });
    expect(direct.headers.get('x-echo')).toBe('yes');
    const named = await egress.request(`http://double.example.com:${port}/echo`, request);
    expect(named.text).toBe('got hello');
    expect(received.map((r) => r.headers.host)).toEqual([`127.0.0.1:${port}`, `double.example.com:${port}`]);
  });

  it('still refuses every other internal address', async () => {
    await expect(egress.request(`http://private.example.com:${port}/`, request)).rejects.toBeInstanceOf(
      EgressRefusedError,
    );
    await expect(egress.request('http://10.0.0.1/', request)).rejects.toBeInstanceOf(EgressRefusedError);
    await expect(egress.request(`http://0.0.0.0:${port}/`, request)).rejects.toBeInstanceOf(
      EgressRefusedError,
    );
    expect(received).toHaveLength(0);
  });

  it('follows no redirect: the 302 comes back as it is', async () => {
    const answer = await egress.request(`http://127.0.0.1:${port}/redirect`, request);
    expect(answer.status).toBe(302);
    expect(answer.ok).toBe(false);
    expect(received.map((r) => r.url)).toEqual(['/redirect']);
  });

  it('reads at most maxResponseBytes of the answer', async () => {
    const answer = await egress.request(`http://127.0.0.1:${port}/big`, {
      ...request,
      maxResponseBytes: 1000,
    });
    expect(answer.status).toBe(200);
    expect(answer.text).toHaveLength(1000);
    expect(answer.complete).toBe(false);
  });

  it('gives up at the deadline', async () => {
    const started = Date.now();
    await expect(
      egress.request(`http://127.0.0.1:${port}/hang`, { ...request, timeoutMs: 300 }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

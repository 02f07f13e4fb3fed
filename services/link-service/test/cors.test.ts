// CORS on link-service, on a real server: off by default; for the origins CORS_ALLOWED_ORIGINS
// lists, the tenant API and its live stream answer with that exact origin; nothing else opens.

import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Service } from '@uplink/kit';
import { auth, type LinkServiceHarness, linkServiceHarness } from '@uplink/testing/link-service';
import { beforeAll, describe, expect, it } from 'vitest';

const LISTED = 'https://helpdesk-app.example';
const ALSO_LISTED = 'http://127.0.0.1:9999';
const UNLISTED = 'https://elsewhere.example';
const ticketPath = '/v1/tickets/freshdesk/cors-1/links';

let h: LinkServiceHarness;
beforeAll(async () => {
  h = await linkServiceHarness();
});

async function listening(service: Service): Promise<number> {
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  return (service.app.server.address() as AddressInfo).port;
}

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** A request as a browser sends it (with Origin, which fetch would not let a page set), on node:http. */
function send(port: number, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const corsHeaders = (answer: Answer) =>
  Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));

const preflight = (port: number, path: string, origin: string) =>
  send(port, 'OPTIONS', path, {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization, content-type',
  });

describe('CORS, off by default', () => {
  it('adds no CORS header to any answer, and answers no preflight', async () => {
    const port = await listening(h.service);
    const read = await send(port, 'GET', ticketPath, { ...auth(), origin: LISTED });
    expect(read.status).toBe(200);
    expect(corsHeaders(read)).toEqual([]);
    const asked = await preflight(port, '/v1/links', LISTED);
    expect(asked.status).toBe(405);
    expect(corsHeaders(asked)).toEqual([]);
  });
});

describe('CORS for the origins CORS_ALLOWED_ORIGINS lists', () => {
  let port: number;
  beforeAll(async () => {
    port = await listening(await h.build({ config: { CORS_ALLOWED_ORIGINS: `${LISTED}, ${ALSO_LISTED}` } }));
  });

  it('answers a listed origin with that exact origin, no credentials, and Vary: Origin', async () => {
    for (const origin of [LISTED, ALSO_LISTED]) {
      const read = await send(port, 'GET', ticketPath, { ...auth(), origin });
      expect(read.status).toBe(200);
      expect(read.headers['access-control-allow-origin']).toBe(origin);
      expect(read.headers['access-control-allow-credentials']).toBeUndefined();
      expect(read.headers['access-control-expose-headers']).toBe('location, retry-after');
      expect(read.headers.vary).toMatch(/\borigin\b/i);
    }
    // Refusals too, so the page can read the error envelope.
    const refused = await send(port, 'GET', ticketPath, { origin: LISTED });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(LISTED);
  });

  it('answers a preflight from a listed origin with what the API takes', async () => {
    const asked = await preflight(port, '/v1/links', LISTED);
    expect(asked.status).toBe(204);
    expect(asked.headers['access-control-allow-origin']).toBe(LISTED);
    expect(asked.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PUT, DELETE');
    expect(asked.headers['access-control-allow-headers']).toBe('authorization, content-type, last-event-id');
    expect(asked.headers['access-control-max-age']).toBe('600');
    expect(asked.headers['access-control-allow-credentials']).toBeUndefined();
    expect(asked.headers.vary).toMatch(/\borigin\b/i);
  });

  it('gives another origin no CORS header, and does not answer its preflight', async () => {
    const read = await send(port, 'GET', ticketPath, { ...auth(), origin: UNLISTED });
    expect(read.status).toBe(200);
    expect(corsHeaders(read)).toEqual([]);
    expect(read.headers.vary).toMatch(/\borigin\b/i);
    // Not a prefix, not a suffix, not another scheme or port of a listed one.
    for (const origin of [UNLISTED, `${LISTED}.evil.example`, 'http://helpdesk-app.example', 'null']) {
      const asked = await preflight(port, '/v1/links', origin);
      expect(asked.status).toBe(404);
      expect(JSON.parse(asked.body)).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
      expect(corsHeaders(asked)).toEqual([]);
    }
  });

  it('opens only the API: the console, the docs and the operator routes stay closed to every origin', async () => {
    for (const path of ['/console', '/docs/json', '/healthz']) {
      const read = await send(port, 'GET', path, { origin: LISTED });
      expect(read.status).toBe(200);
      expect(corsHeaders(read)).toEqual([]);
    }
    const asked = await preflight(port, '/admin/tenants', LISTED);
    expect(corsHeaders(asked)).toEqual([]);
  });

  it('opens the live stream to a listed origin with a stream ticket', async () => {
    const minted = await send(port, 'OPTIONS', '/v1/stream-tickets', {
      origin: LISTED,
      'access-control-request-method': 'POST',
    });
    expect(minted.status).toBe(204);
    const ticket = await h.service.app.inject({
      method: 'POST',
      url: '/v1/stream-tickets',
      headers: auth(),
      payload: { ticket: { provider: 'freshdesk', id: 'cors-1' } },
    });
    const { streamTicket } = ticket.json() as { streamTicket: string };
    const stream = await new Promise<Answer>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: `${ticketPath}/stream?stream_ticket=${streamTicket}`,
          headers: { origin: LISTED, accept: 'text/event-stream' },
          agent: false,
        },
        (res) => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
          req.destroy();
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['access-control-allow-origin']).toBe(LISTED);
  });

  it('still answers 404 for paths that do not exist, and 405 for methods a path lacks', async () => {
    expect((await send(port, 'GET', '/v1/nothing-here', { ...auth(), origin: LISTED })).status).toBe(404);
    const patch = await send(port, 'PATCH', '/v1/links', { ...auth(), origin: LISTED });
    expect(patch.status).toBe(405);
  });
});

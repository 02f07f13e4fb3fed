// A helpdesk app's page on another origin, in headless Chromium: with its origin in
// CORS_ALLOWED_ORIGINS, it uses an agent session to ask for a stream ticket and follows the live
// stream with EventSource; the same page on an origin not listed is refused by the browser.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '@uplink/dev-servers';
import { auth, type LinkServiceHarness, linkServiceHarness } from '@uplink/testing/link-service';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let harness: LinkServiceHarness;
let browser: Browser;
let app: Server;
let appPort: number;
let api: string;
let sessionToken: string;
const ticket = { provider: 'freshdesk', id: 'cors-browser-1' };

beforeAll(async () => {
  [harness, browser] = await Promise.all([linkServiceHarness(), launchChromium(chromium)]);
  // The helpdesk app's page: blank, its script comes from the test.
  app = createServer((_, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>App</title>'),
  );
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appPort = (app.address() as AddressInfo).port;
  const service = await harness.build({ config: { CORS_ALLOWED_ORIGINS: `http://127.0.0.1:${appPort}` } });
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  api = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  // What the app's server side gives the agent's browser: an agent session, never its key.
  const minted = await service.app.inject({
    method: 'POST',
    url: '/v1/agent-sessions',
    headers: auth(),
    payload: { agent: { id: 'agent-7', name: 'Ada' }, source: 'freshdesk' },
  });
  expect(minted.statusCode).toBe(201);
  sessionToken = minted.json().token;
  const link = await service.app.inject({
    method: 'POST',
    url: '/v1/links',
    headers: auth(),
    payload: { ticket },
  });
  expect(link.statusCode).toBe(201);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => app?.close(resolve));
});

/** In the page: a stream ticket with the session, then the stream's snapshot, or why it failed. */
async function followFrom(pageOrigin: string): Promise<unknown> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${pageOrigin}/`);
    return await page.evaluate(
      async ({ api, token, ticket }) => {
        let streamTicket: string;
        try {
          const answer = await fetch(`${api}/v1/stream-tickets`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ ticket }),
          });
          streamTicket = ((await answer.json()) as { streamTicket: string }).streamTicket;
        } catch {
          return 'ticket refused';
        }
        const url = `${api}/v1/tickets/${ticket.provider}/${ticket.id}/links/stream?stream_ticket=${streamTicket}`;
        return new Promise((resolve) => {
          const source = new EventSource(url);
          source.addEventListener('snapshot', (event) => {
            source.close();
            resolve(JSON.parse((event as MessageEvent).data as string));
          });
          source.addEventListener('error', () => {
            source.close();
            resolve('stream refused');
          });
        });
      },
      { api, token: sessionToken, ticket },
    );
  } finally {
    await context.close();
  }
}

describe('the API from a helpdesk app on another origin (Chromium)', () => {
  it('follows the live stream from a listed origin with an agent session and a stream ticket', async () => {
    const snapshot = (await followFrom(`http://127.0.0.1:${appPort}`)) as { links: { ticket: unknown }[] };
    expect(snapshot.links).toEqual([expect.objectContaining({ ticket, status: 'pending' })]);
  });

  it('is refused by the browser on an origin not listed', async () => {
    // localhost is another origin than 127.0.0.1, on the same server.
    expect(await followFrom(`http://localhost:${appPort}`)).toBe('ticket refused');
  });
});

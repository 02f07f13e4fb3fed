// `npm start` as a newcomer runs it: scripts/start.ts in its own process, with no MongoDB, NATS or
// Azure configured, so everything runs on the embedded adapters in one process with its data in
// a fresh folder. Headless Chromium then drives the whole flow through the console and the
// customer's page; the process is restarted and every link must come back with its status.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LinkView } from '@uplink/contracts';
import {
  cspViolations,
  launchChromium,
  openPreview,
  openTicketInConsole,
  PAGE_PROBE,
  playerDuration,
  recordVoiceMessage,
  requestFileInConsole,
  screenshot,
  sendVoiceMessage,
  seriousAxeViolations,
} from '@uplink/dev-servers';
import { SqliteStore } from '@uplink/store';
import { bootstrapTenantId } from '@uplink/tenants';
import { embeddedUplinkEnv, eventually } from '@uplink/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  endNpmStart,
  ROOT,
  START,
  type StartedUplink,
  startNpmStart,
  tenantApi,
} from './npm-start-process.ts';

let dataDir: string;
/** Every npm package the started processes loaded (record-packages.ts). */
let packagesLog: string;
/** The environment every start of the test gets: free ports, nothing external. */
let baseEnv: NodeJS.ProcessEnv;
let uplink: StartedUplink | undefined;
let browser: Browser;
let webhook: { server: Server; url: string; received: unknown[] };

/** Runs scripts/start.ts like `npm start` does and waits for its "ready" banner. */
function startUplink(): Promise<StartedUplink> {
  // The point is the embedded default: nothing external may leak in from the test's environment.
  return startNpmStart({
    ...baseEnv,
    UPLINK_DATA_DIR: dataDir,
    // Its log lines are the diagnosis when it does not get ready.
    LOG_LEVEL: 'info',
    UPLINK_TEST_PACKAGES_LOG: packagesLog,
  });
}

async function stopUplink(): Promise<number | null> {
  const child = uplink?.child;
  uplink = undefined;
  return endNpmStart(child);
}

async function ticketLinks(ticketId: string): Promise<LinkView[]> {
  const { links } = await tenantApi<{ links: LinkView[] }>(uplink, `/tickets/webhook/${ticketId}/links`);
  return links;
}

async function openTicket(page: Page, ticketId: string): Promise<void> {
  if (!uplink) throw new Error('not running');
  await openTicketInConsole(page, uplink.consoleUrl, uplink.apiKey, { provider: 'webhook', id: ticketId });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uplink-npm-start-'));
  packagesLog = join(await mkdtemp(join(tmpdir(), 'uplink-npm-start-packages-')), 'packages.txt');
  baseEnv = {
    ...(await embeddedUplinkEnv()),
    // The test's webhook receiver listens on 127.0.0.1, which Uplink calls only when allowed.
    EGRESS_ALLOW_LOOPBACK: 'true',
    // The scheduler's sweep (the safety net beside its timers) every second, so the expiry
    // below shows within seconds even for a link the running process did not create itself.
    EXPIRY_SWEEP_INTERVAL_MS: '1000',
  };

  const received: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no webhook port');
  webhook = { server, url: `http://127.0.0.1:${address.port}/uplink`, received };
  browser = await launchChromium(chromium);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopUplink();
  webhook?.server.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  if (packagesLog) await rm(dirname(packagesLog), { recursive: true, force: true });
});

describe('npm start (embedded default)', () => {
  const ticketId = `E-${process.pid}`;
  const before = new Map<string, string>();

  it('gets ready on a fresh data folder and prints the console URL, the demo API key and where data lives', {
    timeout: 90_000,
  }, async () => {
    uplink = await startUplink();
    expect(uplink.consoleUrl).toBe(`http://127.0.0.1:${baseEnv.LINK_SERVICE_PORT}/console`);
    expect(uplink.apiKey).toMatch(/^upk_demo_[0-9a-f]{32}$/);
    expect(uplink.banner).toContain(dataDir);
    expect(uplink.banner).toMatch(/sessions\s+sqlite/);
    expect(uplink.banner).toMatch(/events\s+embedded/);
    expect(uplink.banner).toMatch(/blobs\s+Azurite \(in process\)/);
    // The MongoDB and NATS clients are for configured servers only: not loaded, not paid for.
    const loaded = (await readFile(packagesLog, 'utf8')).split('\n');
    expect(loaded).toContain('@azure/storage-blob');
    expect(loaded).toContain('fastify');
    expect(loaded.filter((name) => name === 'mongodb' || name.startsWith('@nats-io/'))).toEqual([]);
    // A second `npm start` on the same data folder is refused, and says why.
    const second = spawn(process.execPath, [START], {
      cwd: ROOT,
      env: { ...process.env, UPLINK_DATA_DIR: dataDir, LINK_SERVICE_PORT: '0', UPLOAD_GATEWAY_PORT: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let secondErr = '';
    second.stderr?.on('data', (chunk) => {
      secondErr += chunk;
    });
    const secondExit = await new Promise<number | null>((done) => second.once('exit', (code) => done(code)));
    expect(secondExit).toBe(1);
    expect(secondErr).toContain(
      `another Uplink (pid ${uplink.child.pid}) is using the data folder ${dataDir}`,
    );
    await tenantApi(uplink, '/settings', {
      method: 'PUT',
      body: JSON.stringify({
        destinations: { webhook: { url: webhook.url, secret: 'whsec_npm_start_test_0000' } },
      }),
    });
  });

  it('console -> link -> customer records audio -> panel shows it arrived within 2 s -> preview plays', {
    timeout: 90_000,
  }, async () => {
    const agent = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const customer = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    try {
      await agent.addInitScript({ content: PAGE_PROBE });
      const consolePage = await agent.newPage();
      await openTicket(consolePage, ticketId);
      const loadId = await consolePage.evaluate('window.__probe.loadedAt');

      const url = await requestFileInConsole(consolePage, 'Please record the noise.');
      expect(new URL(url).port).toBe(baseEnv.UPLOAD_GATEWAY_PORT);
      const item = consolePage.getByRole('listitem', { name: /^Link #/ }).first();
      await item.getByText('Pending').waitFor();

      const page = await customer.newPage();
      expect((await page.goto(url))?.status()).toBe(200);
      await page.getByRole('heading', { name: /Secure file request from Demo Company/ }).waitFor();
      await recordVoiceMessage(page);
      await screenshot(page, 'embedded-customer-recorded');
      await sendVoiceMessage(page);
      const sentAt = Date.now();

      // Received, and right after that Delivered once note-relay posted it to the webhook.
      await item.getByText(/^(Received|Delivered)$/).waitFor({ timeout: 2_000 });
      expect(Date.now() - sentAt).toBeLessThan(2_000);
      await item.getByText('Delivered').waitFor({ timeout: 10_000 });
      expect(await consolePage.evaluate('window.__probe.loadedAt')).toBe(loadId);
      expect(webhook.received).toHaveLength(1);
      // "Go to message" opens the file's viewer page (the webhook's receiver is out of sight).
      const goTo = item.getByRole('link', { name: 'Go to message' });
      expect(await goTo.getAttribute('href')).toMatch(
        new RegExp(`^http://127\\.0\\.0\\.1:${baseEnv.UPLOAD_GATEWAY_PORT}/f/[A-Za-z0-9_-]+$`),
      );
      await screenshot(consolePage, 'embedded-console-delivered');

      const player = await openPreview(item);
      // The agent sees how long the message is (about the 1.2 s recorded) and can seek in it.
      expect(await playerDuration(player)).toBeGreaterThan(1);
      expect(await playerDuration(player)).toBeLessThan(10);
      expect(await cspViolations(consolePage)).toEqual([]);
      expect(await seriousAxeViolations(consolePage)).toEqual([]);
      await screenshot(consolePage, 'embedded-console-preview');
    } finally {
      await customer.close();
      await agent.close();
    }
  });

  it('shows a revoke and an expiry live', { timeout: 90_000 }, async () => {
    const agent = await browser.newContext({ viewport: { width: 900, height: 1000 } });
    try {
      const consolePage = await agent.newPage();
      await openTicket(consolePage, ticketId);
      const loadId = await consolePage.evaluate('window.__probe?.loadedAt ?? 0');

      // Revoked from elsewhere (the API, as a helpdesk integration would): the panel follows.
      const created = await tenantApi<{ id: string; shortId: string }>(uplink, '/links', {
        method: 'POST',
        body: JSON.stringify({ ticket: { provider: 'webhook', id: ticketId } }),
      });
      const revokedItem = consolePage.getByRole('listitem', {
        name: new RegExp(`^Link #${created.shortId}`),
      });
      await revokedItem.getByText('Pending').waitFor({ timeout: 5_000 });
      await tenantApi(uplink, `/links/${created.id}`, { method: 'DELETE' });
      await revokedItem.getByText('Revoked', { exact: true }).waitFor({ timeout: 5_000 });

      // A link due in 3 s, written by another process into the same session store: the running
      // scheduler finds it, expires it on time, and the event reaches the open console.
      const store = new SqliteStore(join(dataDir, 'sessions.sqlite'));
      let shortId: string;
      try {
        // The demo tenant's id derives from its API key.
        const tenantId = bootstrapTenantId(uplink?.apiKey ?? '');
        const now = new Date();
        const { link } = await store.links.create({
          tenantId,
          ticket: { provider: 'webhook', id: ticketId },
          contextMessage: 'Expires in a moment',
          validityHours: 1,
          now,
          expiresAt: new Date(now.getTime() + 3_000),
        });
        shortId = link.shortId;
      } finally {
        await store.close();
      }
      const expiringItem = consolePage.getByRole('listitem', { name: new RegExp(`^Link #${shortId}`) });
      await expiringItem.getByText('Expired').waitFor({ timeout: 15_000 });
      expect(await consolePage.evaluate('window.__probe?.loadedAt ?? 0')).toBe(loadId);
      await screenshot(consolePage, 'embedded-console-statuses');

      for (const link of await ticketLinks(ticketId)) before.set(link.id, link.status);
      expect([...before.values()].sort()).toEqual(['delivered', 'expired', 'revoked']);
    } finally {
      await agent.close();
    }
  });

  it('keeps every link and its status across a restart', { timeout: 120_000 }, async () => {
    expect(await stopUplink()).toBe(0);
    uplink = await startUplink();
    const after = await eventually('links after restart', async () => {
      const links = await ticketLinks(ticketId);
      return links.length === before.size ? links : undefined;
    });
    expect(new Map(after.map((link) => [link.id, link.status]))).toEqual(before);
    // The delivered file is still there: its preview URL serves the recording.
    const delivered = after.find((link) => link.status === 'delivered');
    const file = await tenantApi<{ url: string }>(uplink, `/links/${delivered?.id}/file-url`);
    const read = await fetch(file.url);
    expect(read.status).toBe(200);
    expect((await read.arrayBuffer()).byteLength).toBe(delivered?.file?.size);
  });
});

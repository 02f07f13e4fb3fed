// The agent console in headless Chromium against link-service on real NATS and MongoDB-wire:
// sign in, open a ticket, request a file, watch the links panel change without a reload.

import type { CreatedLink, LinkView } from '@uplink/contracts';
import {
  cspViolations,
  freePort,
  launchChromium,
  PAGE_PROBE,
  screenshot,
  seriousAxeViolations,
} from '@uplink/dev-servers';
import { MongoLinkStore } from '@uplink/store/mongo';
import { itOnServers } from '@uplink/testing';
import { API_KEY, auth, type LinkServiceHarness, linkServiceHarness } from '@uplink/testing/link-service';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let harness: LinkServiceHarness;
let browser: Browser;
let origin: string;
let ticketCounter = 0;

beforeAll(async () => {
  [harness, browser] = await Promise.all([linkServiceHarness(), launchChromium(chromium)]);
  const port = await freePort();
  await harness.service.app.listen({ host: '127.0.0.1', port });
  origin = `http://127.0.0.1:${port}`;
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** A ticket no other test uses. */
const newTicket = () => `T-${process.pid}-${Date.now()}-${++ticketCounter}`;

type Console = {
  page: Page;
  loadId: () => Promise<number>;
  csp: () => Promise<string[]>;
  close(): Promise<void>;
};

async function openConsole(path: string): Promise<Console> {
  const context = await browser.newContext({
    viewport: { width: 900, height: 900 },
  });
  await context.addInitScript({ content: PAGE_PROBE });
  const page = await context.newPage();
  const response = await page.goto(`${origin}${path}`);
  expect(response?.status()).toBe(200);
  return {
    page,
    loadId: () => page.evaluate('window.__probe.loadedAt') as Promise<number>,
    csp: () => cspViolations(page),
    close: () => context.close(),
  };
}

async function signIn(page: Page, key = API_KEY): Promise<void> {
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.keyboard.press('Enter');
}

async function createLink(ticketId: string, body: Record<string, unknown> = {}): Promise<CreatedLink> {
  const response = await harness.service.app.inject({
    method: 'POST',
    url: '/v1/links',
    headers: auth(),
    payload: { ticket: { provider: 'freshdesk', id: ticketId }, ...body },
  });
  expect(response.statusCode).toBe(201);
  return response.json();
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const linkItem = (page: Page, shortId: string) => page.getByRole('listitem', { name: `Link #${shortId}` });

describe('agent console', () => {
  it('may be framed by the helpdesks CONSOLE_FRAME_ANCESTORS names, instead of the default ones', async () => {
    const service = await harness.build({
      config: { CONSOLE_FRAME_ANCESTORS: 'https://support.acme.example https://*.zendesk.com' },
    });
    const response = await service.app.inject({ method: 'GET', url: '/console' });
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toMatch(
      /frame-ancestors 'self' https:\/\/support\.acme\.example https:\/\/\*\.zendesk\.com(;|$)/,
    );
    expect(csp).not.toContain('freshdesk');
  });

  it('serves the page with a strict CSP and hashed, cacheable assets', async () => {
    const response = await harness.service.app.inject({ method: 'GET', url: '/console' });
    expect(response.statusCode).toBe(200);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    // Helpdesk sidebars may frame it: Freshdesk's and Flex's by default.
    expect(csp).toMatch(
      /frame-ancestors 'self' https:\/\/\*\.freshdesk\.com .*https:\/\/flex\.twilio\.com(;|$)/,
    );
    expect(response.body).not.toMatch(/<script(?![^>]*(type="module" src=|type="application\/json"))/);
    const script = /<script type="module" src="([^"]+)"/.exec(response.body)?.[1];
    expect(script).toMatch(/^\/console\/assets\/console-[A-Z0-9]+\.js$/);
    const asset = await harness.service.app.inject({
      method: 'GET',
      url: script ?? '',
      headers: { 'accept-encoding': 'br' },
    });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-encoding']).toBe('br');
    expect(asset.headers['cache-control']).toContain('immutable');
    const missing = await harness.service.app.inject({ method: 'GET', url: '/console/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
  });

  it('refuses a wrong API key and says so', async () => {
    const opened = await openConsole('/console');
    try {
      await signIn(opened.page, 'upk_not_a_real_key_0000000000000000000');
      await opened.page.getByRole('alert').filter({ hasText: 'That API key is not valid.' }).waitFor();
      expect(await opened.page.getByRole('form', { name: 'Ticket' }).isVisible()).toBe(false);
    } finally {
      await opened.close();
    }
  });

  it('signs in, picks a ticket, requests a file, and revokes it without a reload', async () => {
    const ticketId = newTicket();
    const opened = await openConsole('/console');
    const { page } = opened;
    try {
      await screenshot(page, 'console-sign-in');
      await signIn(page);
      await page.getByLabel('Helpdesk').selectOption('freshdesk');
      await page.getByLabel('Ticket id').fill(ticketId);
      await page.getByRole('button', { name: 'Open ticket' }).click();
      await page.getByRole('heading', { name: `Ticket ${ticketId} (Freshdesk)` }).waitFor();
      await page.getByText('No links for this ticket yet.').waitFor();
      const loadId = await opened.loadId();

      await page.getByRole('button', { name: 'Request a file' }).click();
      const dialog = page.getByRole('dialog', { name: 'Request a file' });
      await dialog.waitFor();
      await dialog
        .getByLabel('Message to the customer (optional)')
        .fill('A photo of the <b>serial</b>, please.');
      await dialog.getByLabel('Link valid for').selectOption('4');
      await screenshot(page, 'console-request-dialog');
      await dialog.getByRole('button', { name: 'Create link' }).click();

      const reply = page.getByLabel('Reply text');
      await expect.poll(() => reply.inputValue()).toMatch(/^Please use this link to share a file with us: /);
      expect(await reply.inputValue()).toContain('It expires in 4 hours.');
      expect(await dialog.isVisible()).toBe(false);

      const listed = (await harness.service.app
        .inject({ method: 'GET', url: `/v1/tickets/freshdesk/${ticketId}/links`, headers: auth() })
        .then((response) => response.json())) as { links: LinkView[] };
      const link = listed.links[0];
      if (!link) throw new Error('the console created no link');
      expect(link.validityHours).toBe(4);
      const item = linkItem(page, link.shortId);
      await item.getByText('Pending').waitFor();
      // 4 hours, give or take the second the clock correction may add.
      await item.getByText(/^Expires in (3h 5\dm|4h 0m)$/).waitFor({ timeout: 2_000 });
      // Agent text stays text.
      expect(await item.getByText('A photo of the <b>serial</b>, please.').isVisible()).toBe(true);
      await page.getByRole('button', { name: 'Copy reply' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /Reply copied\.|Could not copy/ })
        .waitFor();
      await screenshot(page, 'console-link-pending');

      await item.getByRole('button', { name: `Revoke link #${link.shortId}` }).click();
      await item.getByText('Revoked', { exact: true }).waitFor();
      expect(await item.getByRole('button', { name: /Revoke/ }).count()).toBe(0);
      await page
        .getByRole('status')
        .filter({ hasText: `Link #${link.shortId} is now Revoked.` })
        .waitFor();
      expect(await opened.loadId()).toBe(loadId);
      expect(await opened.csp()).toEqual([]);
      await screenshot(page, 'console-link-revoked');
    } finally {
      await opened.close();
    }
  });

  it('opens the ticket named in the URL and shows a change made elsewhere within 2 s', async () => {
    const ticketId = newTicket();
    const first = await createLink(ticketId, { contextMessage: 'Invoice PDF' });
    const opened = await openConsole(`/console?provider=freshdesk&ticket=${ticketId}`);
    const { page } = opened;
    try {
      await signIn(page);
      const item = linkItem(page, first.shortId);
      await item.getByText('Pending').waitFor();
      await page.getByText('Live', { exact: true }).waitFor();
      const loadId = await opened.loadId();

      // Revoked through the API, not through this page.
      const revoked = await harness.service.app.inject({
        method: 'DELETE',
        url: `/v1/links/${first.id}`,
        headers: auth(),
      });
      expect(revoked.statusCode).toBe(200);
      const started = Date.now();
      await item.getByText('Revoked', { exact: true }).waitFor({ timeout: 2_000 });
      expect(Date.now() - started).toBeLessThan(2_000);

      // A link created elsewhere appears too.
      const second = await createLink(ticketId);
      await linkItem(page, second.shortId).getByText('Pending').waitFor({ timeout: 2_000 });
      expect(await opened.loadId()).toBe(loadId);
      expect(await opened.csp()).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('resumes by itself when a stream reaches its lifetime, missing nothing in between', async () => {
    const service = await harness.build({ config: { LINK_STREAM_MAX_LIFETIME_MS: 2_000 } });
    const port = await freePort();
    await service.app.listen({ host: '127.0.0.1', port });
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    try {
      const page = await context.newPage();
      // Each stream request's URL: its stream ticket and where it resumes.
      const streams: URL[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/links/stream')) streams.push(new URL(request.url()));
      });
      const firstEnded = new Promise<void>((resolve) =>
        page.on('requestfinished', (request) => {
          if (request.url().includes('/links/stream')) resolve();
        }),
      );
      const ticketId = newTicket();
      await page.goto(`http://127.0.0.1:${port}/console?provider=freshdesk&ticket=${ticketId}`);
      await signIn(page);
      await page.getByText('Live', { exact: true }).waitFor();
      const loadId = await page.evaluate(() => performance.timeOrigin);

      // Made while the console is between two streams: the next one must bring it.
      await firstEnded;
      const created = await createLink(ticketId);
      await linkItem(page, created.shortId).getByText('Pending').waitFor({ timeout: 10_000 });
      await page.getByText('Live', { exact: true }).waitFor();
      expect(streams.length).toBeGreaterThanOrEqual(2);
      const [first, second] = streams;
      expect(first?.searchParams.get('lastEventId')).toBeNull();
      expect(second?.searchParams.get('lastEventId')).toMatch(/^\d+$/);
      // Each connection with a ticket of its own; the API key in no URL.
      const tickets = streams.map((url) => url.searchParams.get('stream_ticket'));
      expect(tickets.every((ticket) => ticket?.startsWith('ust_'))).toBe(true);
      expect(new Set(tickets).size).toBe(tickets.length);
      expect(streams.filter((url) => url.href.includes(API_KEY))).toEqual([]);
      expect(await page.evaluate(() => performance.timeOrigin)).toBe(loadId);
    } finally {
      await context.close();
    }
  });

  itOnServers('writes the statuses straight into MongoDB')(
    'shows every status, and has no serious or critical axe-core violation',
    async () => {
      const ticketId = newTicket();
      const links = new MongoLinkStore(harness.infra.servers().mongo.db);
      const pending = await createLink(ticketId, { contextMessage: 'Screenshot of the error, please.' });
      const delivered = await createLink(ticketId, { contextMessage: 'Voice note about the noise' });
      const failed = await createLink(ticketId);
      const refused = await createLink(ticketId, { contextMessage: 'A video of the fan' });
      const purged = await createLink(ticketId, { contextMessage: 'The old invoice' });
      const now = new Date();
      const upload = (name: string) => ({
        uploadId: `upl_${name.padEnd(20, 'X')}`,
        kind: 'file' as const,
        category: 'document' as const,
        fileName: `${name}.pdf`,
        contentType: 'application/pdf',
        size: 1234,
        container: 'uplink-uploads',
        blobName: `blob-${name}`,
        etag: '"0x1"',
      });
      const photo = (name: string) => ({
        ...upload(name),
        category: 'image' as const,
        fileName: `${name}.jpg`,
        contentType: 'image/jpeg',
      });
      const recording = {
        ...upload('voice'),
        kind: 'audio' as const,
        category: 'audio' as const,
        fileName: 'voice-message.webm',
        contentType: 'audio/webm',
      };
      await links.collection.updateOne(
        { _id: delivered.id },
        {
          $set: {
            status: 'delivered',
            receivedAt: now,
            deliveredAt: now,
            // A submission of several files, and markup in the message that must stay text.
            files: [photo('front'), photo('back'), recording],
            customerMessage: 'The label is on the <b>back</b>.\nSerial ends in 42.',
            delivery: {
              attempts: 1,
              target: {
                destination: 'freshdesk',
                noteId: '42',
                url: 'https://acme.freshdesk.com/a/tickets/4711',
                mode: 'attachment',
              },
            },
          },
        },
      );
      await links.collection.updateOne(
        { _id: failed.id },
        {
          $set: {
            status: 'delivery_failed',
            receivedAt: now,
            deliveryFailedAt: now,
            upload: upload('failed'),
            delivery: { attempts: 3, reason: 'Freshdesk refused the API key.' },
          },
        },
      );
      await links.collection.updateOne(
        { _id: purged.id },
        {
          $set: {
            status: 'delivered',
            receivedAt: now,
            deliveredAt: now,
            upload: upload('purged'),
            fileDeletedAt: now,
            delivery: {
              attempts: 1,
              target: { destination: 'freshdesk', noteId: '43', url: null, mode: 'attachment' },
            },
          },
        },
      );
      await links.collection.updateOne({ _id: refused.id }, { $set: { rejectionNotifiedAt: now } });

      const opened = await openConsole(`/console?provider=freshdesk&ticket=${ticketId}`);
      const { page } = opened;
      try {
        expect(await seriousAxeViolations(page)).toEqual([]);

        // Keyboard only: the key field has the focus, Enter signs in.
        expect(await page.evaluate('document.activeElement?.id')).toBe('api-key');
        await page.keyboard.type(API_KEY);
        await page.keyboard.press('Enter');
        await linkItem(page, pending.shortId).getByText('Pending').waitFor();
        await linkItem(page, delivered.shortId).getByText('Delivered').waitFor();
        const go = linkItem(page, delivered.shortId).getByRole('link', { name: 'Go to message' });
        expect(await go.getAttribute('href')).toBe('https://acme.freshdesk.com/a/tickets/4711');
        await linkItem(page, failed.shortId).getByText('Reason: Freshdesk refused the API key.').waitFor();
        expect(await linkItem(page, failed.shortId).getByText('Failed', { exact: true }).isVisible()).toBe(
          true,
        );
        // Every file of a submission, each with its preview, and the customer's message as text.
        const deliveredItem = linkItem(page, delivered.shortId);
        const files = deliveredItem
          .getByRole('list', { name: `Files of link #${delivered.shortId}` })
          .getByRole('listitem');
        expect(await files.allTextContents()).toEqual([
          expect.stringMatching(/^front\.jpg1\.2 kB, filePreview$/),
          expect.stringMatching(/^back\.jpg1\.2 kB, filePreview$/),
          expect.stringMatching(/^voice-message\.webm1\.2 kB, voice messagePreview$/),
        ]);
        await deliveredItem
          .getByRole('button', { name: `Preview the file of link #${delivered.shortId}: back.jpg` })
          .waitFor();
        expect(await deliveredItem.locator('.customer-message-text').textContent()).toBe(
          'The label is on the <b>back</b>.\nSerial ends in 42.',
        );
        expect(await deliveredItem.locator('.customer-message-text b').count()).toBe(0);
        // A file that could not be posted can still be previewed; a deleted one says when it went.
        const preview = (shortId: string) =>
          linkItem(page, shortId).getByRole('button', { name: /^Preview the file/ });
        expect(await preview(failed.shortId).count()).toBe(1);
        await linkItem(page, purged.shortId)
          .getByText(/^File deleted .+: the retention period ran out\.$/)
          .waitFor();
        expect(await preview(purged.shortId).count()).toBe(0);
        const refusedItem = linkItem(page, refused.shortId);
        expect(await refusedItem.getByText('Refused file attempted').isVisible()).toBe(true);
        expect(await seriousAxeViolations(page)).toEqual([]);
        await screenshot(page, 'console-statuses');

        // The dialog opens and closes by keyboard, and is clean too.
        await page.getByRole('button', { name: 'Request a file' }).focus();
        await page.keyboard.press('Enter');
        await page.getByRole('dialog', { name: 'Request a file' }).waitFor();
        expect(await page.evaluate('document.activeElement?.id')).toBe('context');
        expect(await seriousAxeViolations(page)).toEqual([]);
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({ state: 'hidden' });
      } finally {
        await opened.close();
      }
    },
  );

  it('changes the company name and a write-only secret on the settings page', async () => {
    const opened = await openConsole('/console');
    const { page } = opened;
    const read = async () =>
      (await harness.service.app.inject({ method: 'GET', url: '/v1/settings', headers: auth() })).json() as {
        companyName: string;
        filesNeedSignIn: boolean;
        mediaPolicy: { maxFilesPerSubmission: number; maxSubmissionBytes: number | null };
        destinations: { webhook: { url: string; secretSet: boolean } | null };
      };
    try {
      await signIn(page);
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      expect(await page.getByLabel('Company name').inputValue()).toBe((await read()).companyName);
      expect(await page.getByRole('form', { name: 'Ticket' }).isVisible()).toBe(false);

      const secret = 'whsec-console-test-0000000000';
      await page.getByLabel('Company name').fill('Globex Help');
      await page.getByLabel('Webhook URL').fill('https://hooks.example.com/uplink');
      await page.getByLabel('Signing secret (16 characters or more)').fill(secret);
      expect(await page.getByLabel('Files need sign-in').isChecked()).toBe(false);
      await page.getByLabel('Files need sign-in').check();
      // A submission's limits: 10 files and the categories' limits summed (empty) by default.
      expect(await page.getByLabel('Files a customer may send together').inputValue()).toBe('10');
      const largestSubmission = page.getByLabel('Largest submission, all files together (MB)');
      expect(await largestSubmission.inputValue()).toBe('');
      await page.getByLabel('Files a customer may send together').fill('4');
      await largestSubmission.fill('60');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();

      const saved = await read();
      expect(saved.companyName).toBe('Globex Help');
      expect(saved.filesNeedSignIn).toBe(true);
      expect(saved.mediaPolicy).toMatchObject({
        maxFilesPerSubmission: 4,
        maxSubmissionBytes: 60 * 1024 * 1024,
      });
      expect(saved.destinations.webhook).toEqual({
        url: 'https://hooks.example.com/uplink',
        secretSet: true,
      });
      // Write-only: the field is empty again, says a secret is stored, and the page never holds it.
      expect(await page.getByLabel('Signing secret (16 characters or more)').inputValue()).toBe('');
      await page.getByText('Stored. Leave empty to keep it.').waitFor();
      expect(await page.content()).not.toContain(secret);
      await screenshot(page, 'console-settings');

      // Saved, not just shown: a fresh page reads it back.
      await page.reload();
      await page.getByRole('button', { name: 'Settings' }).click();
      await expect.poll(() => page.getByLabel('Company name').inputValue()).toBe('Globex Help');
      expect(await largestSubmission.inputValue()).toBe('60');
      // Emptied, the submission's limit goes back to the categories' limits summed.
      await largestSubmission.fill('');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
      expect((await read()).mediaPolicy).toMatchObject({
        maxFilesPerSubmission: 4,
        maxSubmissionBytes: null,
      });

      expect(await seriousAxeViolations(page)).toEqual([]);

      await page.getByRole('button', { name: 'Back to tickets' }).click();
      await page.getByRole('form', { name: 'Ticket' }).waitFor();
    } finally {
      await harness.service.app.inject({
        method: 'PUT',
        url: '/v1/settings',
        headers: auth(),
        payload: {
          companyName: 'Acme',
          filesNeedSignIn: false,
          mediaPolicy: { maxFilesPerSubmission: 10, maxSubmissionBytes: null },
          destinations: { webhook: null },
        },
      });
      await opened.close();
    }
  });

  it('makes an API key on the admin page, shows it once, and revokes it', async () => {
    const opened = await openConsole('/console');
    const { page } = opened;
    try {
      await signIn(page);
      await page.getByRole('button', { name: 'API keys' }).click();
      await page.getByRole('heading', { name: 'API keys', level: 2 }).waitFor();
      await page.getByRole('row').filter({ hasText: 'bootstrap' }).waitFor();

      await page.getByLabel('Label', { exact: true }).fill('Console-made key');
      await page.getByLabel('Role').selectOption('integration');
      await page.getByLabel('Expires after (days, optional)').fill('30');
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.getByRole('status').filter({ hasText: 'Key created.' }).waitFor();
      const key = await page.getByLabel('New API key').inputValue();
      expect(key).toMatch(/^upk_/);
      // The key works, with the role it was given.
      const asKey = (url: string) => harness.service.app.inject({ url, headers: auth(key) });
      expect((await asKey('/v1/settings')).statusCode).toBe(200);
      expect((await asKey('/v1/api-keys')).statusCode).toBe(403);
      const row = page.getByRole('row').filter({ hasText: 'Console-made key' });
      await row.getByText('Integration').waitFor();
      await screenshot(page, 'console-api-keys');
      expect(await seriousAxeViolations(page)).toEqual([]);

      // Signed in with it, the console offers what its role may use (GET /v1/whoami says which):
      // the settings, not the API keys; an agent session's token, neither.
      const agentSession = await harness.service.app.inject({
        method: 'POST',
        url: '/v1/agent-sessions',
        headers: auth(),
        payload: { agent: { id: 'a-2', name: 'Ada Agent' }, source: 'freshdesk' },
      });
      for (const [credential, settingsShown] of [
        [key, true],
        [agentSession.json().token as string, false],
      ] as const) {
        const other = await openConsole('/console');
        try {
          await signIn(other.page, credential);
          await other.page.getByRole('form', { name: 'Ticket' }).waitFor();
          expect(await other.page.getByRole('button', { name: 'Settings' }).isVisible()).toBe(settingsShown);
          expect(await other.page.getByRole('button', { name: 'API keys' }).isHidden()).toBe(true);
        } finally {
          await other.close();
        }
      }

      await row.getByRole('button', { name: `Revoke key ${key.slice(0, 12)} (Console-made key)` }).click();
      await row.getByText(/^Revoked /).waitFor();
      expect((await asKey('/v1/settings')).statusCode).toBe(401);

      // Leaving the page forgets the key it showed once.
      await page.getByRole('button', { name: 'Back to tickets' }).click();
      await page.getByRole('form', { name: 'Ticket' }).waitFor();
      expect(await page.content()).not.toContain(key);
    } finally {
      await opened.close();
    }
  });

  it('shows admins the audit log, filtered by link, and checks its chain', async () => {
    const created = await createLink(newTicket());
    await harness.service.app.inject({ method: 'DELETE', url: `/v1/links/${created.id}`, headers: auth() });
    const opened = await openConsole('/console');
    const { page } = opened;
    try {
      await signIn(page);
      await page.getByRole('button', { name: 'Audit log' }).click();
      await page.getByRole('heading', { name: 'Audit log', level: 2 }).waitFor();
      await page.getByLabel('Link id (optional)').fill(created.id);
      await page.getByRole('button', { name: 'Show entries' }).click();
      // Newest first: the revoke, then the creation, each naming the key that did it.
      const rows = page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr');
      await expect.poll(() => rows.count()).toBe(2);
      const creator = created.createdBy?.kind === 'api_key' ? created.createdBy : undefined;
      const who = `API key ${creator?.keyPrefix}… (${creator?.label})`;
      expect(await rows.nth(0).textContent()).toContain('Link revoked');
      expect(await rows.nth(1).textContent()).toContain('Link created');
      expect(await rows.nth(1).textContent()).toContain(who);
      await page.getByRole('button', { name: 'Check the chain' }).click();
      await page.getByText(/^The chain is intact: \d+ entries checked from entry 1\.$/).waitFor();
      expect(await seriousAxeViolations(page)).toEqual([]);
      await screenshot(page, 'console-audit-log');
      await page.getByRole('button', { name: 'Back to tickets' }).click();
      await page.getByRole('form', { name: 'Ticket' }).waitFor();

      // The link's own history, in the links panel, for whoever sees the link.
      await page.getByLabel('Ticket id').fill(created.ticket.id);
      await page.keyboard.press('Enter');
      const item = linkItem(page, created.shortId);
      await item.getByRole('button', { name: `History of link #${created.shortId}` }).click();
      const history = item.getByRole('list', { name: `History of link #${created.shortId}` });
      await expect
        .poll(() => history.getByRole('listitem').allTextContents())
        .toStrictEqual([
          expect.stringMatching(new RegExp(`Link created, by ${escapeRegExp(who)}$`)),
          expect.stringMatching(new RegExp(`Link revoked, by ${escapeRegExp(who)}$`)),
        ]);
      expect(await seriousAxeViolations(page)).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('says who created and who revoked each link', async () => {
    const ticketId = newTicket();
    const session = await harness.service.app.inject({
      method: 'POST',
      url: '/v1/agent-sessions',
      headers: auth(),
      payload: { agent: { id: 'a-1', name: 'Ada Agent' }, source: 'freshdesk' },
    });
    const byAgent = await harness.service.app.inject({
      method: 'POST',
      url: '/v1/links',
      headers: auth(session.json().token),
      payload: { ticket: { provider: 'freshdesk', id: ticketId } },
    });
    const link = byAgent.json() as LinkView;
    await harness.service.app.inject({ method: 'DELETE', url: `/v1/links/${link.id}`, headers: auth() });
    const opened = await openConsole(`/console?provider=freshdesk&ticket=${ticketId}`);
    try {
      await signIn(opened.page);
      const item = linkItem(opened.page, link.shortId);
      await item.getByText('by Ada Agent (freshdesk)').waitFor();
      await item.getByText(/^Revoked by API key upk_… \(bootstrap\)\.$/).waitFor();
    } finally {
      await opened.close();
    }
  });

  it('removes a stored destination on the settings page and keeps the others', async () => {
    const put = (payload: Record<string, unknown>) =>
      harness.service.app.inject({ method: 'PUT', url: '/v1/settings', headers: auth(), payload });
    const read = async () =>
      (await harness.service.app.inject({ method: 'GET', url: '/v1/settings', headers: auth() })).json() as {
        companyName: string;
        destinations: Record<'freshdesk' | 'twilioFlex' | 'webhook', Record<string, unknown> | null>;
      };
    const stored = await put({
      destinations: {
        freshdesk: { baseUrl: 'https://acme.freshdesk.com', apiKey: 'fd-console-test-key-123' },
        webhook: { url: 'https://hooks.example.com/uplink', secret: 'whsec-console-test-0000000000' },
      },
    });
    expect(stored.statusCode).toBe(200);
    const before = await read();
    const opened = await openConsole('/console');
    const { page } = opened;
    try {
      await signIn(page);
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      const removeWebhook = page.getByLabel('Remove the Webhook destination');
      const removeFreshdesk = page.getByLabel('Remove the Freshdesk destination');
      await removeWebhook.waitFor();
      expect(await removeFreshdesk.isVisible()).toBe(true);
      // Only a stored destination can be removed.
      expect(await page.getByLabel('Remove the Twilio Flex destination').isVisible()).toBe(false);

      // Marked for removal, the destination's fields are set aside and not saved.
      await page.getByLabel('Webhook URL').fill('https://elsewhere.example.com/uplink');
      await removeWebhook.focus();
      await page.keyboard.press('Space');
      expect(await removeWebhook.isChecked()).toBe(true);
      expect(await page.getByLabel('Webhook URL').isDisabled()).toBe(true);
      expect(await page.getByLabel('Signing secret (16 characters or more)').isDisabled()).toBe(true);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();

      const saved = await read();
      expect(saved.destinations.webhook).toBeNull();
      expect(saved.destinations.freshdesk).toEqual(before.destinations.freshdesk);
      expect(saved.destinations.twilioFlex).toBeNull();
      expect(saved.companyName).toBe(before.companyName);

      // The page shows the webhook as not configured, and can no longer remove it.
      expect(await page.getByLabel('Webhook URL').inputValue()).toBe('');
      expect(await page.getByLabel('Webhook URL').isDisabled()).toBe(false);
      expect(await page.locator('#set-webhook-secret-state').textContent()).toBe('Not set.');
      expect(await removeWebhook.isVisible()).toBe(false);
      expect(await removeFreshdesk.isChecked()).toBe(false);
      expect(await page.getByLabel('Freshdesk URL').inputValue()).toBe('https://acme.freshdesk.com');
      expect(await page.locator('#set-fd-key-state').textContent()).toBe('Stored. Leave empty to keep it.');
      expect(await opened.csp()).toEqual([]);
      await screenshot(page, 'console-settings-removed');
    } finally {
      await put({ destinations: { freshdesk: null, webhook: null } });
      await opened.close();
    }
  });
});

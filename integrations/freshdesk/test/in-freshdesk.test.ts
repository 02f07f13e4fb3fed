// The Freshdesk app end to end, in headless Chromium: the app as built for upload, hosted by the
// Freshworks host double's ticket page (its own origin, the documented client API, request
// templates run server-side with the secure integration key), against real Uplink servers
// (link-service, upload-gateway, note-relay on one set of test adapters and Azurite) delivering to
// the Freshdesk double. The agent asks for a file from the reply editor (the link made as the
// agent, with their session), the customer records a voice message, the sidebar follows the link
// live to Delivered, and the key stays on the server.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  freePort,
  launchChromium,
  recordVoiceMessage,
  SCREENSHOT_DIR,
  screenshot,
  sendVoiceMessage,
  seriousAxeViolations,
} from '@uplink/dev-servers';
import { hashSecret, systemClock } from '@uplink/kit';
import { buildLinkService } from '@uplink/link-service';
import {
  type FreshdeskDouble,
  type FreshworksDouble,
  startFreshdeskDouble,
  startFreshworksDouble,
} from '@uplink/saas-doubles';
import { closeWhenDone, startService, startTlsFront } from '@uplink/testing';
import { type NoteRelayHarness, noteRelayHarness } from '@uplink/testing/note-relay';
import { API_KEY } from '@uplink/testing/upload-gateway';
import { type Browser, chromium, type Frame, type FrameLocator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppFiles } from '../build/build-app.ts';

const TICKET_ID = 1001;
/** The Uplink host the installation names (iparam uplink_host), as a deployment's ingress serves it. */
const UPLINK_HOST = 'uplink.acme.example';
const AGENT_TEXT = 'Hi Sam, sorry the printer keeps jamming.';
const AGENT = { id: 43_000_000_777, name: 'Ada Agent', email: 'ada@acme.example' };

let relay: NoteRelayHarness;
let freshdesk: FreshdeskDouble;
let host: FreshworksDouble;
let browser: Browser;
let integrationKey: string;

/** The app folder as `npm run freshdesk-app` packs it, written to a temporary folder. */
async function builtApp(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'uplink-freshdesk-app-'));
  closeWhenDone(() => rm(folder, { recursive: true, force: true }));
  for (const [path, bytes] of buildAppFiles()) {
    await mkdir(dirname(join(folder, path)), { recursive: true });
    await writeFile(join(folder, path), bytes);
  }
  return folder;
}

beforeAll(async () => {
  relay = await noteRelayHarness();
  const { gateway } = relay;
  freshdesk = await startFreshdeskDouble({ tickets: [{ id: TICKET_ID }] });
  closeWhenDone(() => freshdesk.stop());
  await relay.setDestinations({ freshdesk: { baseUrl: freshdesk.url, apiKey: freshdesk.apiKey } });
  // The key the Freshdesk admin types into the installation: an integration key, made as
  // `npm run tenant -- add-key --role integration` makes it.
  ({ key: integrationKey } = await relay.store.tenants.createApiKey(
    gateway.tenantId,
    { label: 'Freshdesk app', role: 'integration' },
    new Date(),
  ));

  // link-service's port first: the host double's proxy must know where the Uplink host is, and
  // link-service must allow the app's origin, which only the started double knows.
  const port = await freePort();
  const linkServiceOrigin = `http://127.0.0.1:${port}`;
  host = await startFreshworksDouble({
    appFolder: await builtApp(),
    iparams: { uplink_host: UPLINK_HOST, integration_key: integrationKey },
    hosts: { [UPLINK_HOST]: linkServiceOrigin },
    ticket: { id: TICKET_ID, subject: 'The printer jams on every page', description: 'It jams. Every page.' },
    loggedInUser: AGENT,
    editorText: AGENT_TEXT,
    appName: 'Uplink',
  });
  closeWhenDone(() => host.stop());
  const built = await buildLinkService({
    config: {
      PUBLIC_UPLOAD_BASE_URL: `${gateway.baseUrl}/u/`,
      UPLINK_BOOTSTRAP_API_KEY: API_KEY,
      CORS_ALLOWED_ORIGINS: host.appOrigin,
    },
    logger: relay.infra.logger,
    store: relay.store,
    bus: await relay.infra.connectBus('link-service'),
    clock: systemClock,
    storage: gateway.storage,
    outbox: { sweepIntervalMs: 200, staleAfterMs: 300 },
  });
  await startService(built, port);
  // The app's pages reach Uplink at https://uplink.acme.example, as behind a deployment's ingress.
  const front = await startTlsFront(UPLINK_HOST, linkServiceOrigin);
  browser = await launchChromium(chromium, { extraArgs: [front.hostResolverRule] });
}, 90_000);

afterAll(async () => {
  await browser?.close();
});

const SIDEBAR_FRAME = 'iframe[title="Uplink (ticket sidebar)"]';
const DIALOG_TITLE = 'Request a file with Uplink';

function sidebarOf(page: Page): FrameLocator {
  return page.frameLocator(SIDEBAR_FRAME);
}

function appFrame(page: Page, file: string): Frame {
  const frame = page.frames().find((candidate) => new URL(candidate.url()).pathname === `/app/${file}`);
  if (frame === undefined) throw new Error(`no frame shows ${file}`);
  return frame;
}

/** Opens the request dialog from the editor's toolbar, asks for `message`, and returns the reply text inserted. */
async function requestFile(page: Page, message: string, beforeCreate?: () => Promise<void>): Promise<string> {
  const editorBlocks = page.getByRole('textbox', { name: 'Reply editor' }).locator(':scope > div');
  const blocksBefore = await editorBlocks.count();
  await page.getByRole('toolbar', { name: 'Editor toolbar' }).getByRole('button', { name: 'Uplink' }).click();
  const dialog = page.getByRole('dialog', { name: DIALOG_TITLE });
  await dialog.waitFor();
  const form = page.frameLocator(`iframe[title="${DIALOG_TITLE}"]`);
  await form.getByLabel('Message to the customer (optional)').fill(message);
  // The tenant's default validity (2 hours) is preselected.
  await expect.poll(() => form.getByLabel('Link valid for').inputValue()).toBe('2');
  await beforeCreate?.();
  await form.getByRole('button', { name: 'Create link' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await expect.poll(() => editorBlocks.count()).toBe(blocksBefore + 1);
  return (await editorBlocks.last().textContent()) ?? '';
}

/** Records every status the sidebar's links take, in order (old values of data-status, then the current one). */
const STATUS_RECORDER = `(() => {
  const seen = new Map();
  const note = (item, status) => {
    const statuses = seen.get(item.dataset.id) ?? [];
    if (statuses.at(-1) !== status) statuses.push(status);
    seen.set(item.dataset.id, statuses);
  };
  for (const item of document.querySelectorAll('li[data-id]')) note(item, item.dataset.status);
  new MutationObserver((records) => {
    for (const record of records) {
      const item = record.target;
      if (!(item instanceof HTMLElement) || !item.dataset.id) continue;
      if (record.oldValue) note(item, record.oldValue);
      else note(item, item.dataset.status);
    }
    for (const item of document.querySelectorAll('li[data-id]')) note(item, item.dataset.status);
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-status'], attributeOldValue: true, childList: true });
  window.__statuses = (id) => seen.get(id) ?? [];
})()`;

/** What a frame's JavaScript and storage hold that a leaked key could be in: its globals, document, storage, cookies. */
const FRAME_CONTENTS = `(() => {
  const globals = [];
  for (const name of Object.getOwnPropertyNames(window)) {
    let value;
    try { value = window[name]; } catch { continue; }
    if (typeof value === 'string') globals.push(name + '=' + value);
    else if (value && typeof value === 'object' && !(value instanceof Node) && value !== window) {
      try { globals.push(name + '=' + JSON.stringify(value)); } catch { /* not serializable */ }
    }
  }
  const storage = (area) => {
    try { return Object.entries(area).map(([key, value]) => key + '=' + value); } catch { return []; }
  };
  return {
    html: document.documentElement.outerHTML,
    globals: globals.join('\\n'),
    storage: [...storage(localStorage), ...storage(sessionStorage)].join('\\n'),
    cookie: document.cookie,
  };
})()`;

describe('Uplink inside Freshdesk', () => {
  it('asks for a file from the reply editor as the agent; the sidebar follows the link live to Delivered; revoke; the key stays on the server', {
    timeout: 90_000,
  }, async () => {
    const agent = await browser.newContext({
      viewport: { width: 1280, height: 600 },
      ignoreHTTPSErrors: true,
    });
    const customer = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    // Everything the agent's browser sends, from every frame.
    const sent: string[] = [];
    agent.on('request', (request) => {
      sent.push(
        `${request.method()} ${request.url()} ${JSON.stringify(request.headers())} ${request.postData() ?? ''}`,
      );
    });
    // Every call Uplink refused with 401 (the browser logs each as a console error too).
    const refused: string[] = [];
    agent.on('response', (response) => {
      if (response.status() !== 401) return;
      refused.push(`${response.request().method()} ${new URL(response.url()).pathname}`);
    });
    const problems: string[] = [];
    try {
      const page = await agent.newPage();
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        if (message.text().includes('the server responded with a status of 401')) return;
        problems.push(`console: ${message.text()}`);
      });
      await page.goto(host.ticketUrl);
      const sidebar = sidebarOf(page);
      await sidebar.getByText('No links for this ticket yet.', { exact: false }).waitFor();
      await sidebar.getByText('Live', { exact: true }).waitFor();

      // The editor's icon → the dialog → the reply goes in after the agent's own text.
      // What every frame holds (the dialog's while it is open), to look for the key in at the end.
      const frameContents: unknown[] = [];
      const readFrames = async (count: number) => {
        const frames = page.frames();
        expect(frames).toHaveLength(count);
        frameContents.push(...(await Promise.all(frames.map((frame) => frame.evaluate(FRAME_CONTENTS)))));
      };
      const replyText = await requestFile(page, 'A photo of the label, please', async () => {
        await readFrames(4);
        expect(await seriousAxeViolations(appFrame(page, 'modal.html'))).toEqual([]);
        await screenshot(page, 'freshdesk-editor-dialog');
      });
      const editor = page.getByRole('textbox', { name: 'Reply editor' });
      expect(await editor.locator(':scope > div').allTextContents()).toEqual([AGENT_TEXT, replyText]);
      const uploadUrl =
        /^Please use this link to share a file with us: (\S+)\. It expires in 2 hours\.$/.exec(
          replyText,
        )?.[1];
      expect(uploadUrl?.startsWith(`${relay.gateway.baseUrl}/u/`)).toBe(true);

      // The sidebar lists it, Pending with its countdown, without a reload.
      const item = sidebar.getByRole('listitem', { name: /^Link #/ });
      await item.getByText('Pending').waitFor();
      await item.getByText(/^Expires in 1h 5\dm$/).waitFor();
      await item.getByText('A photo of the label, please').waitFor();
      // Made by the agent signed in to Freshdesk, not by the app's integration key.
      await item.getByText(`by ${AGENT.name} (freshdesk)`, { exact: false }).waitFor();
      const linkId = (await item.getAttribute('data-id')) ?? '';
      expect((await relay.link(linkId)).createdBy).toEqual({
        kind: 'agent',
        id: String(AGENT.id),
        name: AGENT.name,
        email: AGENT.email,
        source: 'freshdesk',
      });
      const sidebarFrame = appFrame(page, 'sidebar.html');
      await sidebarFrame.evaluate(STATUS_RECORDER);
      expect(await seriousAxeViolations(sidebarFrame)).toEqual([]);

      // The customer records a voice message: Received, then Delivered, within 2 s, no reload.
      const upload = await customer.newPage();
      await upload.goto(uploadUrl ?? '');
      await recordVoiceMessage(upload);
      await sendVoiceMessage(upload);
      const sentAt = Date.now();
      await item.getByText('Delivered').waitFor({ timeout: 2_000 });
      expect(Date.now() - sentAt).toBeLessThan(2_000);
      expect(await sidebarFrame.evaluate(`window.__statuses(${JSON.stringify(linkId)})`)).toEqual([
        'pending',
        'received',
        'delivered',
      ]);

      // "Go to message" opens the ticket the note is on, and the note is the one the link records.
      const delivered = await relay.link(linkId);
      const [note] = freshdesk.notes(TICKET_ID);
      expect(note?.id).toBeDefined();
      expect(delivered.delivery?.target?.noteId).toBe(String(note?.id));
      const goTo = item.getByRole('link', { name: 'Go to message' });
      expect(await goTo.getAttribute('href')).toBe(`${freshdesk.url}/a/tickets/${TICKET_ID}`);
      expect(await seriousAxeViolations(sidebarFrame)).toEqual([]);
      await page.locator(SIDEBAR_FRAME).screenshot({ path: join(SCREENSHOT_DIR, 'freshdesk-sidebar.png') });
      await screenshot(page, 'freshdesk-ticket');

      // The agent's session ends early (revoked, as an admin may): the dialog is refused with it,
      // mints a new one and makes the link once more, still as the agent.
      const keptToken = await sidebarFrame.evaluate(
        "JSON.parse(sessionStorage.getItem('uplink.agentSession')).token",
      );
      const kept = await relay.store.agentSessions.findUsable(hashSecret(String(keptToken)), new Date());
      expect(
        await relay.store.agentSessions.revoke(relay.gateway.tenantId, kept?.sessionId ?? '', new Date()),
      ).toBe(true);

      // A second link, revoked from the sidebar. The agent clicks into the reply (which closes
      // the editor app's panel, as any click outside it does), then on the icon again.
      await editor.click();
      await requestFile(page, 'And the receipt, please');
      const second = sidebar.getByRole('listitem', { name: /^Link #/ }).first();
      await second.getByText('Pending').waitFor();
      const secondId = (await second.getAttribute('data-id')) ?? '';
      expect(secondId).not.toBe(linkId);
      expect((await relay.link(secondId)).createdBy).toMatchObject({ kind: 'agent', id: String(AGENT.id) });
      await second.getByRole('button', { name: /^Revoke link #/ }).click();
      await second.getByText('Revoked', { exact: true }).waitFor();
      await second.getByText(`Revoked by ${AGENT.name} (freshdesk).`).waitFor();
      expect((await relay.link(secondId)).status).toBe('revoked');

      // The integration key was never in the browser: no frame's globals, document or storage,
      // no cookie or stored state, no request the browser sent (URL, headers or body).
      await readFrames(3);
      const scanned = [
        ...frameContents.map((frame) => JSON.stringify(frame)),
        JSON.stringify(await agent.storageState()),
        ...sent,
      ];
      // The scan does see what is there: the non-secure iparam (the Uplink host) is in the ticket page.
      expect(scanned.some((text) => text.includes(UPLINK_HOST))).toBe(true);
      expect(scanned.filter((text) => text.includes(integrationKey))).toEqual([]);
      // Every template the app invoked went through the proxy; none was refused. Two sessions in
      // all: the sidebar's, which the first dialog found in the tab's sessionStorage, and the one
      // the second dialog minted for the revoked one, which the sidebar then took from there.
      expect(host.invocations.map(({ name, refused }) => ({ name, refused }))).toEqual(
        expect.arrayContaining([
          { name: 'createAgentSession', refused: null },
          { name: 'getSettings', refused: null },
        ]),
      );
      expect(host.invocations.filter(({ refused }) => refused !== null)).toEqual([]);
      expect(host.invocations.filter(({ name }) => name === 'createAgentSession')).toHaveLength(2);
      // Only the two calls made with the revoked session were refused, each once: the dialog's
      // new link and the sidebar's revoke, both made again with the new session.
      expect(refused).toEqual(['POST /v1/links', `DELETE /v1/links/${secondId}`]);
      expect(problems).toEqual([]);
    } finally {
      await customer.close();
      await agent.close();
    }
  });
});

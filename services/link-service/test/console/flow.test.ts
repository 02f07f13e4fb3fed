// The whole flow in headless Chromium with a fake microphone: the agent opens a
// ticket in the console and requests a file; the customer opens the link in another page,
// records a voice message and sends it; the console shows the link as Received without a reload,
// and plays the recording inline from Blob storage through a short-lived read URL.
// link-service and upload-gateway share one session store, event bus and Azurite, as in production
// (MongoDB-wire and NATS, or the embedded adapters with UPLINK_TEST_ADAPTERS=embedded).

import { join } from 'node:path';
import type { FileUrl, UploadedFile } from '@uplink/contracts';
import {
  cspViolations,
  freePort,
  launchChromium,
  openPreview,
  openTicketInConsole,
  PAGE_PROBE,
  playerDuration,
  recordVoiceMessage,
  requestFileInConsole,
  SCREENSHOT_DIR,
  screenshot,
  sendVoiceMessage,
  seriousAxeViolations,
} from '@uplink/dev-servers';
import { randomId, type Service, systemClock } from '@uplink/kit';
import { heicPhoto, pdfBytes, startService, startTestInfra, type TestInfra } from '@uplink/testing';
import { API_KEY, type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLinkService } from '../../src/app.ts';

let infra: TestInfra;
let gateway: UploadGatewayHarness;
let linkService: Service;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  infra = await startTestInfra();
  const [started, launched] = await Promise.all([uploadGatewayHarness({ infra }), launchChromium(chromium)]);
  gateway = started;
  browser = launched;
  const built = await buildLinkService({
    config: {
      PUBLIC_UPLOAD_BASE_URL: `${gateway.baseUrl}/u/`,
      UPLINK_BOOTSTRAP_API_KEY: API_KEY,
    },
    logger: infra.logger,
    store: await infra.store(),
    bus: await infra.connectBus('link-service'),
    clock: systemClock,
    storage: gateway.storage,
    outbox: { sweepIntervalMs: 200, staleAfterMs: 300 },
  });
  const port = await freePort();
  linkService = await startService(built, port);
  origin = `http://127.0.0.1:${port}`;
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** The link as completion leaves it: received, with `file` as its upload. */
async function receive(linkId: string, file: UploadedFile): Promise<void> {
  const pending = await gateway.links.getById(linkId);
  if (!pending || !(await gateway.links.markReceived(pending, { files: [file] }, new Date())))
    throw new Error(`link ${linkId} could not be received`);
}

describe('the whole flow', () => {
  it('console -> link -> customer records audio -> panel shows Received within 2 s -> preview plays', {
    timeout: 60_000,
  }, async () => {
    const ticketId = `F-${process.pid}-${Date.now()}`;
    const agent = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const customer = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    try {
      await agent.addInitScript({ content: PAGE_PROBE });
      await customer.addInitScript({ content: PAGE_PROBE });
      const consolePage = await agent.newPage();
      const csp = (await fetch(`${origin}/console`)).headers.get('content-security-policy');
      expect(csp).toContain(`media-src ${gateway.storageOrigin};`);
      expect(csp).toContain(`img-src 'self' ${gateway.storageOrigin} blob:;`);
      await openTicketInConsole(consolePage, `${origin}/console`, API_KEY, {
        provider: 'freshdesk',
        id: ticketId,
      });
      await consolePage.getByRole('heading', { name: `Ticket ${ticketId} (Freshdesk)` }).waitFor();
      const loadId = await consolePage.evaluate('window.__probe.loadedAt');

      const url = await requestFileInConsole(consolePage, 'Please describe the noise.');
      expect(url.startsWith(`${gateway.baseUrl}/u/`)).toBe(true);
      const item = consolePage.getByRole('listitem', { name: /^Link #/ });
      await item.getByText('Pending').waitFor();

      const page = await customer.newPage();
      expect((await page.goto(url))?.status()).toBe(200);
      await page.getByRole('heading', { name: /Secure file request from Acme Support/ }).waitFor();
      await recordVoiceMessage(page);
      await sendVoiceMessage(page);
      const sentAt = Date.now();

      await item.getByText('Received').waitFor({ timeout: 2_000 });
      const elapsed = Date.now() - sentAt;
      expect(elapsed).toBeLessThan(2_000);
      expect(await consolePage.evaluate('window.__probe.loadedAt')).toBe(loadId);
      expect(await cspViolations(consolePage)).toEqual([]);
      await screenshot(consolePage, 'flow-console-received');
      await consolePage
        .getByRole('region', { name: 'Links' })
        .screenshot({ path: join(SCREENSHOT_DIR, 'flow-links-panel-received.png') });

      // The preview plays the recording from Blob storage, allowed by the console's CSP.
      const player = await openPreview(item);
      // The agent sees how long the message is (about the 1.2 s recorded) and can seek in it.
      expect(await playerDuration(player)).toBeGreaterThan(1);
      expect(await playerDuration(player)).toBeLessThan(10);
      expect(await player.evaluate((audio) => audio.tagName)).toBe('AUDIO');
      expect(
        await item.getByRole('button', { name: /^Hide preview of link #/ }).getAttribute('aria-expanded'),
      ).toBe('true');
      expect(await cspViolations(consolePage)).toEqual([]);
      await screenshot(consolePage, 'flow-console-preview');

      expect(await seriousAxeViolations(consolePage)).toEqual([]);
    } finally {
      await customer.close();
      await agent.close();
    }
  });

  it('an iPhone photo, second of two files with a message: sent as HEIC, delivered as it is, previewed in Chromium as a JPEG rendering', {
    timeout: 60_000,
  }, async () => {
    const ticket = { provider: 'freshdesk' as const, id: `H-${process.pid}-${Date.now()}` };
    const { linkId, url } = await gateway.createLink({ ticket });
    const photo = heicPhoto();
    const agent = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const customer = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    try {
      await agent.addInitScript({ content: PAGE_PROBE });
      const page = await customer.newPage();
      await page.goto(url);
      await page.getByRole('tab', { name: 'File' }).click();
      await page.getByLabel('Choose files').setInputFiles([
        { name: 'invoice.pdf', mimeType: 'application/pdf', buffer: Buffer.from(pdfBytes(100)) },
        { name: 'IMG_0001.HEIC', mimeType: 'image/heic', buffer: Buffer.from(photo) },
      ]);
      await page.getByLabel('Message for Acme Support (optional)').fill('The photo shows the label.');
      await page.getByRole('button', { name: 'Send 2 files' }).click();
      await page.getByRole('heading', { name: 'Sent!' }).waitFor();
      const stored = (await gateway.links.getById(linkId))?.files?.[1];
      expect(stored?.contentType).toBe('image/heic');
      const kept = await gateway.container.getBlobClient(stored?.blobName ?? '').downloadToBuffer();
      expect(new Uint8Array(kept)).toEqual(photo);

      const consolePage = await agent.newPage();
      await openTicketInConsole(consolePage, `${origin}/console`, API_KEY, ticket);
      const item = consolePage.getByRole('listitem', { name: /^Link #/ });
      await item.getByText('Received').waitFor();
      await item.getByText('The photo shows the label.').waitFor();
      // The second file's preview: both its read URL and its rendering name it by its upload id.
      await item.getByRole('button', { name: /^Preview the file of link #\S+: IMG_0001\.HEIC$/ }).click();
      const image = item.getByRole('img', { name: /^File of link #\S+: IMG_0001\.HEIC$/ });
      // Chromium cannot decode HEIC: the preview falls back to the JPEG rendering, 64×48 as the photo.
      type Shown = { src: string; complete: boolean; naturalWidth: number; naturalHeight: number };
      const shown = () =>
        image.evaluate((element) => {
          const { src, complete, naturalWidth, naturalHeight } = element as unknown as Shown;
          return { blob: src.startsWith('blob:'), complete, size: [naturalWidth, naturalHeight] };
        });
      await expect.poll(shown, { timeout: 15_000 }).toEqual({ blob: true, complete: true, size: [64, 48] });
      expect(await cspViolations(consolePage)).toEqual([]);
      await screenshot(consolePage, 'flow-console-heic-preview');

      // The rendering is made on request; the stored original is unchanged.
      const again = await gateway.container.getBlobClient(stored?.blobName ?? '').downloadToBuffer();
      expect(new Uint8Array(again)).toEqual(photo);
      const headers = { authorization: `Bearer ${API_KEY}` };
      const notHeic = await gateway.createLink();
      if (!stored) throw new Error('the link has no upload');
      const asPng = { ...stored, contentType: 'image/png' };
      await receive(notHeic.linkId, asPng);
      const refused = await linkService.app.inject({
        url: `/v1/links/${notHeic.linkId}/file-rendering`,
        headers,
      });
      expect(refused.statusCode).toBe(415);
    } finally {
      await customer.close();
      await agent.close();
    }
  });

  it('gives a 5-minute read URL with the verified type, for this tenant only', async () => {
    const { linkId } = await gateway.createLink();
    const headers = { authorization: `Bearer ${API_KEY}` };
    const url = `/v1/links/${linkId}/file-url`;
    const before = await linkService.app.inject({ method: 'GET', url, headers });
    expect(before.statusCode).toBe(404);
    expect(before.json().error.message).toBe('The link has no received file.');

    const blobName = `preview-${linkId}.png`;
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
      'base64',
    );
    const uploaded = await gateway.container.getBlockBlobClient(blobName).uploadData(png);
    await receive(linkId, {
      uploadId: randomId('upl'),
      kind: 'file',
      category: 'image',
      fileName: 'photo.png',
      contentType: 'image/png',
      size: png.length,
      container: gateway.container.containerName,
      blobName,
      // Previews are read URLs only while the blob has the ETag verified at completion.
      etag: uploaded.etag ?? '',
    });
    const started = Date.now();
    const response = await linkService.app.inject({ method: 'GET', url, headers });
    expect(response.statusCode).toBe(200);
    const body = response.json<FileUrl>();
    expect(body.contentType).toBe('image/png');
    const ttl = Date.parse(body.expiresAt) - started;
    expect(ttl).toBeGreaterThan(4.9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000 + 1_000);
    expect(new URL(body.url).origin).toBe(gateway.storageOrigin);
    const read = await fetch(body.url);
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toBe('image/png');
    expect(read.headers.get('content-disposition')).toMatch(/^inline; /);
    expect(Buffer.from(await read.arrayBuffer())).toEqual(png);

    const otherKey = 'upk_flow_test_other_tenant_0000000000';
    await gateway.store.tenants.ensureBootstrapTenant(otherKey, new Date());
    const otherTenant = await linkService.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${otherKey}` },
    });
    expect(otherTenant.statusCode).toBe(404);
  });
});

// Who may show the gateway's pages in a frame, as headless Chromium enforces it: the file viewer
// inside a helpdesk configured in FILE_VIEWER_FRAME_ANCESTORS (Twilio Flex's `Embedded` media
// entries), nowhere else; the customer's upload page never.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { shareFile, type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import type { Browser, Frame } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser } from './browser.ts';

/** A page at its own origin that frames whatever URL its query names. */
async function startFramingSite(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', 'http://localhost').searchParams.get('frame') ?? '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><title>Helpdesk</title><iframe id="embedded" src="${encodeURI(target)}"></iframe>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // `localhost` is another origin than the gateway's 127.0.0.1.
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

let helpdesk: { server: Server; origin: string };
let elsewhere: { server: Server; origin: string };
let gateway: UploadGatewayHarness;
let browser: Browser;

beforeAll(async () => {
  [helpdesk, elsewhere, browser] = await Promise.all([startFramingSite(), startFramingSite(), openBrowser()]);
  gateway = await uploadGatewayHarness({
    viewerFrameAncestors: `https://flex.twilio.com ${helpdesk.origin}`,
  });
}, 60_000);
afterAll(async () => {
  helpdesk?.server.close();
  elsewhere?.server.close();
});

/** Opens `site` framing `url`; resolves with the frame once it has loaded, whatever it shows. */
async function framed(site: string, url: string): Promise<{ frame: Frame; close(): Promise<void> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site}/?frame=${encodeURIComponent(url)}`, { waitUntil: 'load' });
  const frame = await (await page.locator('#embedded').elementHandle())?.contentFrame();
  if (!frame) throw new Error('no frame');
  return { frame, close: () => context.close() };
}

describe('framing', () => {
  it('shows the file viewer inside a configured helpdesk and nowhere else', async () => {
    const shares = gateway.store.shares;
    const shared = await shareFile(gateway, shares, {
      fileName: 'photo.png',
      contentType: 'image/png',
      category: 'image',
    });

    const allowed = await framed(helpdesk.origin, shared.url);
    try {
      expect(allowed.frame.url()).toBe(shared.url);
      expect(await allowed.frame.locator('a[download], a[href*="sig="]').count()).toBeGreaterThan(0);
    } finally {
      await allowed.close();
    }

    const refused = await framed(elsewhere.origin, shared.url);
    try {
      // Chromium replaces a frame its CSP refuses with its own error page.
      expect(refused.frame.url()).not.toBe(shared.url);
      expect(await refused.frame.locator('a[href*="sig="]').count()).toBe(0);
    } finally {
      await refused.close();
    }
  });

  it('never shows the upload page in a frame, not even inside the configured helpdesk', async () => {
    const { url } = await gateway.createLink();
    const inHelpdesk = await framed(helpdesk.origin, url);
    try {
      expect(inHelpdesk.frame.url()).not.toBe(url);
      expect(await inHelpdesk.frame.getByRole('heading', { name: /Secure file request/ }).count()).toBe(0);
    } finally {
      await inHelpdesk.close();
    }
  });
});

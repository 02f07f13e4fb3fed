// A submission of several files survives its tab: the page is closed while the second file cannot
// reach storage, and the reopened page lists both files and the message again, sends only what
// storage lacks and submits them together. In headless Chromium against the real gateway and Azurite.
import { pdfBytes } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, openPage } from './browser.ts';
import { SAVED_UPLOAD_COUNT } from './counting-storage.ts';

let gateway: UploadGatewayHarness;
let browser: Browser;

beforeAll(async () => {
  [gateway, browser] = await Promise.all([uploadGatewayHarness(), openBrowser()]);
}, 60_000);

describe('a submission continued after its page was closed', () => {
  it('lists the files and the message again, sends only the missing file, and submits them together', async () => {
    const { linkId, url } = await gateway.createLink();
    const first = pdfBytes(100);
    const second = pdfBytes(5000);
    const opened = await openPage(browser, url);

    // Put Blobs that reached storage, by the file they carry (one request each: both files are
    // small). The second file's cannot get through while the first page is open.
    const puts = { first: 0, second: 0 };
    let cut = true;
    await opened.context.route(
      (target) => target.searchParams.has('sig'),
      async (route) => {
        const request = route.request();
        if (request.method() !== 'PUT') return route.continue();
        const size = request.postDataBuffer()?.length;
        if (size === second.length && cut) return route.abort('connectionreset');
        if (size === first.length) puts.first++;
        if (size === second.length) puts.second++;
        return route.continue();
      },
    );

    try {
      const page = opened.page;
      await page.getByRole('tab', { name: 'File' }).click();
      await page.getByLabel('Choose files').setInputFiles([
        { name: 'a.pdf', mimeType: 'application/pdf', buffer: Buffer.from(first) },
        { name: 'b.pdf', mimeType: 'application/pdf', buffer: Buffer.from(second) },
      ]);
      await page.getByLabel('Message for Acme Support (optional)').fill('Both invoices, please.');
      await page.getByRole('button', { name: 'Send 2 files' }).click();
      await page.getByRole('list', { name: 'To send' }).getByText('Uploaded').waitFor();
      await expect.poll(() => page.evaluate(SAVED_UPLOAD_COUNT)).toBe(2);
      await page.close();
      cut = false;

      const reopened = await opened.context.newPage();
      await reopened.goto(url);
      await reopened.getByRole('heading', { name: 'Sent!' }).waitFor({ timeout: 30_000 });
      const link = await gateway.links.getById(linkId);
      expect(link?.files?.map((file) => file.fileName)).toEqual(['a.pdf', 'b.pdf']);
      expect(link?.customerMessage).toBe('Both invoices, please.');
      // The first file was stored before the tab closed and is not sent again; nothing is kept.
      expect(puts).toEqual({ first: 1, second: 1 });
      expect(await reopened.evaluate(SAVED_UPLOAD_COUNT)).toBe(0);
    } finally {
      await opened.close();
    }
  });
});

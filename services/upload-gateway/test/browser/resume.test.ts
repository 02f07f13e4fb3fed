// A 12 MB upload survives its tab: the page is closed after about half the file is stored, the
// link is opened again in the same browser, and the page continues from what storage holds. In
// headless Chromium against the real gateway and Azurite, through a proxy that counts what
// storage stored, block by block (counting-storage.ts).
import { pdfBytes } from '@uplink/testing';
import type { UploadGatewayHarness } from '@uplink/testing/upload-gateway';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectDelivered, openBrowser, openPage, sha256 } from './browser.ts';
import {
  type CountingStorage,
  closeTab,
  countingStorage,
  expectEachBlockStoredOnce,
  expectProgressFrom,
  gatewayBehind,
  SAVED_UPLOAD_COUNT,
} from './counting-storage.ts';

const MiB = 1024 * 1024;
const FILE_BYTES = 12 * MiB;

let storage: CountingStorage;
/** The gateway's clock runs this far from the real one (Azurite checks a SAS on real time). */
let clockOffsetMs = 0;
let gateway: UploadGatewayHarness;
let browser: Browser;

beforeAll(async () => {
  storage = await countingStorage();
  // Blocks of at most 1 MiB: a dozen or more for the file, so "half" falls between blocks.
  [gateway, browser] = await Promise.all([
    gatewayBehind(storage, { blockBytes: MiB, clock: { now: () => new Date(Date.now() + clockOffsetMs) } }),
    openBrowser(),
  ]);
}, 60_000);

describe('an upload continued after its page was closed', () => {
  it('resumes in a reopened page, stores each block once, and the file verifies', async () => {
    const { linkId, url } = await gateway.createLink();
    const bytes = pdfBytes(FILE_BYTES - pdfBytes(0).length);
    expect(bytes.length).toBe(FILE_BYTES);
    const opened = await openPage(browser, url);

    try {
      const first = opened.page;
      await first.getByRole('tab', { name: 'File' }).click();
      await first.getByLabel('Choose files').setInputFiles({
        name: 'manual.pdf',
        mimeType: 'application/pdf',
        buffer: Buffer.from(bytes),
      });
      await first.getByRole('button', { name: 'Send file' }).click();
      await expect
        .poll(() => storage.storedBytes(), { timeout: 20_000 })
        .toBeGreaterThanOrEqual(FILE_BYTES / 2);
      expect(await first.evaluate(SAVED_UPLOAD_COUNT)).toBe(1);
      const storedBeforeReopen = await closeTab(storage, () => first.close());
      expect(storedBeforeReopen).toBeLessThan(FILE_BYTES);

      const second = await opened.context.newPage();
      await second.goto(url);
      await second.getByRole('heading', { name: 'Sent!' }).waitFor({ timeout: 30_000 });
      await expectDelivered(gateway, linkId, { size: bytes.length, sha256: sha256(bytes) });

      expectEachBlockStoredOnce(storage, FILE_BYTES);
      // The bar started where the closed page had got to, and the saved upload is gone.
      expectProgressFrom((await second.evaluate('window.__probe.progress')) as number[], storedBeforeReopen);
      expect(await second.evaluate(SAVED_UPLOAD_COUNT)).toBe(0);
    } finally {
      await opened.close();
    }
  });

  it('asks the gateway for a new SAS when storage refuses one that ran out, and goes on', {
    timeout: 60_000,
  }, async () => {
    storage.stored.clear();
    const { linkId, url } = await gateway.createLink();
    const bytes = pdfBytes(3 * MiB);
    const opened = await openPage(browser, url);
    const { page } = opened;
    try {
      // The intent's SAS ran out before it was issued (the gateway's clock 15 minutes behind),
      // while the page is told it has an hour: a phone whose clock is off by that much.
      await page.route(
        (target) => target.pathname.endsWith('/uploads'),
        async (route) => {
          clockOffsetMs = -15 * 60 * 1000 - 1000;
          try {
            const response = await route.fetch();
            const intent = (await response.json()) as { expiresAt: string };
            intent.expiresAt = new Date(Date.now() + 60 * 60 * 1000).toISOString();
            await route.fulfill({ response, json: intent });
          } finally {
            clockOffsetMs = 0;
          }
        },
      );
      await page.getByRole('tab', { name: 'File' }).click();
      await page.locator('#file-input').setInputFiles({
        name: 'scan.pdf',
        mimeType: 'application/pdf',
        buffer: Buffer.from(bytes),
      });
      await page.getByRole('button', { name: 'Send file' }).click();
      await page.getByRole('heading', { name: 'Sent!' }).waitFor({ timeout: 30_000 });
      await expectDelivered(gateway, linkId, { size: bytes.length, sha256: sha256(bytes) });
      expectEachBlockStoredOnce(storage, bytes.length);
      // The gateway renewed it, and recorded the new expiry.
      const paths = opened.gatewayPaths.filter((path) => /\/uploads\/upl_[A-Za-z0-9]+$/.test(path));
      expect(paths.length).toBeGreaterThanOrEqual(1);
      const uploadId = paths[0]?.split('/').at(-1) ?? '';
      const renewed = (await gateway.store.uploads.get(uploadId))?.sasExpiresAt.getTime() ?? 0;
      expect(renewed - Date.now()).toBeGreaterThan(14 * 60 * 1000);
    } finally {
      await opened.close();
    }
  });
});

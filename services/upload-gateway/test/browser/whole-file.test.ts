// The whole file in one request, given up when it falls behind: the first block goes through at
// once, so the page tries the whole file in one Put Blob, but the link stalls under it (the proxy
// never reads it, counting-storage.ts). The page gives it up within the 8 s a whole-file request
// gets at most, long before a request's 30 s stall timeout, and sends the file in blocks, each
// stored once. In headless Chromium against the real gateway and Azurite.
import { pdfBytes } from '@uplink/testing';
import type { UploadGatewayHarness } from '@uplink/testing/upload-gateway';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectDelivered, openBrowser, openPage, sha256 } from './browser.ts';
import {
  type CountingStorage,
  countingStorage,
  expectEachBlockStoredOnce,
  gatewayBehind,
} from './counting-storage.ts';

const MiB = 1024 * 1024;
/**
 * Small enough that the first block, however loaded the machine, says the link carries it within
 * 4 s (the block within 500 ms): the page always tries the whole file.
 */
const FILE_BYTES = 2 * MiB;

let storage: CountingStorage;
let gateway: UploadGatewayHarness;
let browser: Browser;

beforeAll(async () => {
  storage = await countingStorage({ heldMs: 0, stallPutBlob: true });
  [gateway, browser] = await Promise.all([gatewayBehind(storage), openBrowser()]);
}, 60_000);

describe('a whole-file request on a link that stalls under it', () => {
  it('is given up within seconds, and the file goes in blocks, each stored once', {
    timeout: 60_000,
  }, async () => {
    const { linkId, url } = await gateway.createLink();
    const bytes = pdfBytes(FILE_BYTES - pdfBytes(0).length);
    const opened = await openPage(browser, url);
    try {
      const { page } = opened;
      await page.getByRole('tab', { name: 'File' }).click();
      await page.getByLabel('Choose files').setInputFiles({
        name: 'manual.pdf',
        mimeType: 'application/pdf',
        buffer: Buffer.from(bytes),
      });
      const sentAt = Date.now();
      await page.getByRole('button', { name: 'Send file' }).click();
      // Inside the 30 s a request may move no byte before the page abandons it.
      await page.getByRole('heading', { name: 'Sent!' }).waitFor({ timeout: 25_000 });
      expect(Date.now() - sentAt).toBeLessThan(25_000);
      expect(storage.putBlobs()).toBe(1);
      await expectDelivered(gateway, linkId, { size: bytes.length, sha256: sha256(bytes) });
      expectEachBlockStoredOnce(storage, FILE_BYTES);
      const progress = await opened.progress();
      for (let i = 1; i < progress.length; i++) {
        expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1] ?? 0);
      }
    } finally {
      await opened.close();
    }
  });
});

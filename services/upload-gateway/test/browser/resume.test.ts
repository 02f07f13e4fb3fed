// A 12 MB upload survives its tab: the page is closed after about half the file is stored, the
// link is opened again in the same browser, and the page continues from what storage holds. In
// headless Chromium against the real gateway and Azurite, through a proxy that counts what
// storage stored, block by block (counting-storage.ts).
import { pdfBytes } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Block, blockOfId } from '../../client/src/blocks.ts';
import { expectDelivered, openBrowser, openPage, sha256 } from './browser.ts';
import { type CountingStorage, countingStorage } from './counting-storage.ts';

const MiB = 1024 * 1024;
const FILE_BYTES = 12 * MiB;

let storage: CountingStorage;
let gateway: UploadGatewayHarness;
let browser: Browser;

beforeAll(async () => {
  storage = await countingStorage();
  // Blocks of at most 1 MiB: a dozen or more for the file, so "half" falls between blocks.
  [gateway, browser] = await Promise.all([
    uploadGatewayHarness({ blockBytes: MiB, gatewayStorageConnectionString: storage.connectionString }),
    openBrowser(),
  ]);
  // The gateway reaches storage through the proxy, so it does not configure it: done here.
  await gateway.storage.configure(new URL(gateway.baseUrl).origin);
}, 60_000);

/** The saved uploads the page keeps in IndexedDB (saved-uploads.ts), counted from inside the page. */
function savedUploadCount(page: Page): Promise<number> {
  return page.evaluate(`new Promise((resolve, reject) => {
    const request = indexedDB.open('uplink-uploads');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const count = request.result.transaction('uploads').objectStore('uploads').count();
      count.onsuccess = () => resolve(count.result);
      count.onerror = () => reject(count.error);
    };
  })`) as Promise<number>;
}

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
      expect(await savedUploadCount(first)).toBe(1);
      // The tab closes: the Put Blocks on their way are cut off, or reach storage before.
      storage.cutOff();
      await storage.settled();
      await first.close();
      storage.resume();
      const storedBeforeReopen = storage.storedBytes();
      expect(storedBeforeReopen).toBeLessThan(FILE_BYTES);

      const second = await opened.context.newPage();
      await second.goto(url);
      await second.getByRole('heading', { name: 'Sent!' }).waitFor({ timeout: 30_000 });
      await expectDelivered(gateway, linkId, { size: bytes.length, sha256: sha256(bytes) });

      // Storage received each block once, and the blocks cover the file without overlapping:
      // nothing stored before the tab closed was sent again.
      expect([...storage.stored.values()].every((times) => times === 1)).toBe(true);
      const blocks = [...storage.stored.keys()]
        .map(blockOfId)
        .filter((block): block is Block => block !== undefined)
        .sort((a, b) => a.offset - b.offset);
      expect(blocks.length).toBe(storage.stored.size);
      const ranges = blocks.map((block) => `${block.offset}+${block.length}`).join(' ');
      let end = 0;
      for (const block of blocks) {
        expect(block.offset, ranges).toBe(end);
        end = block.offset + block.length;
      }
      expect(end).toBe(FILE_BYTES);

      // The bar started where the closed page had got to, and the saved upload is gone.
      // (The probe reads the bar when its change is observed: it may have moved on a little.)
      const progress = (await second.evaluate('window.__probe.progress')) as number[];
      const moved = progress.filter((value) => value > 0);
      expect(moved[0]).toBeGreaterThanOrEqual(storedBeforeReopen);
      expect(moved.every((value, i) => i === 0 || value >= (moved[i - 1] ?? 0))).toBe(true);
      expect(await savedUploadCount(second)).toBe(0);
    } finally {
      await opened.close();
    }
  });
});

// A 12 MB upload survives its tab: the page is closed after about half the file is stored, the
// link is opened again in the same browser, and the page continues from what storage holds. In
// headless Chromium against the real gateway and Azurite; every Put Block goes through the test
// (Playwright's route.fetch, from Node), which counts what storage stored, block by block.
import { pdfBytes } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import type { Browser, Page, Route } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Block, blockOfId } from '../../client/src/blocks.ts';
import { expectDelivered, openBrowser, openPage, sha256 } from './browser.ts';

const MiB = 1024 * 1024;
const FILE_BYTES = 12 * MiB;

let gateway: UploadGatewayHarness;
let browser: Browser;

beforeAll(async () => {
  // Blocks of at most 1 MiB: a dozen or more for the file, so "half" falls between blocks.
  [gateway, browser] = await Promise.all([uploadGatewayHarness({ blockBytes: MiB }), openBrowser()]);
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

    // What storage stored (201) per block id, and the Put Blocks on their way to storage. Once
    // the page is closing, Put Blocks are cut off (they never reach storage), so every block
    // storage stores is counted here.
    const storedTimes = new Map<string, number>();
    let storedBytes = 0;
    const underway = new Set<Promise<void>>();
    let closing = false;
    const putBlock = async (route: Route) => {
      const request = route.request();
      if (request.method() !== 'PUT') return route.continue();
      // A slower link than loopback, so the page is closed with blocks on their way.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const id = new URL(request.url()).searchParams.get('blockid') ?? '';
      // Cut off by the closing tab: it never reaches storage.
      if (closing) return route.abort('connectionreset').catch(() => {});
      const response = await route.fetch();
      if (response.status() === 201) {
        storedTimes.set(id, (storedTimes.get(id) ?? 0) + 1);
        storedBytes += blockOfId(id)?.length ?? 0;
      }
      // The page may be gone by now; storage has the block all the same.
      await route.fulfill({ response }).catch(() => {});
    };
    await opened.context.route(
      (target) => target.searchParams.get('comp') === 'block',
      (route) => {
        const handled = putBlock(route);
        underway.add(handled);
        return handled.finally(() => underway.delete(handled));
      },
    );
    const settled = async () => {
      while (underway.size > 0) await Promise.allSettled([...underway]);
    };

    try {
      const first = opened.page;
      await first.getByRole('tab', { name: 'File' }).click();
      await first.getByLabel('Choose a file').setInputFiles({
        name: 'manual.pdf',
        mimeType: 'application/pdf',
        buffer: Buffer.from(bytes),
      });
      await first.getByRole('button', { name: 'Send file' }).click();
      await expect.poll(() => storedBytes, { timeout: 20_000 }).toBeGreaterThanOrEqual(FILE_BYTES / 2);
      expect(await savedUploadCount(first)).toBe(1);
      closing = true;
      await settled();
      await first.close();
      closing = false;
      const storedBeforeReopen = storedBytes;
      expect(storedBeforeReopen).toBeLessThan(FILE_BYTES);

      const second = await opened.context.newPage();
      await second.goto(url);
      await second.getByRole('heading', { name: 'Sent!' }).waitFor({ timeout: 30_000 });
      await expectDelivered(gateway, linkId, { size: bytes.length, sha256: sha256(bytes) });

      // Storage received each block once, and the blocks cover the file without overlapping:
      // nothing stored before the tab closed was sent again.
      expect([...storedTimes.values()].every((times) => times === 1)).toBe(true);
      const blocks = [...storedTimes.keys()]
        .map(blockOfId)
        .filter((block): block is Block => block !== undefined)
        .sort((a, b) => a.offset - b.offset);
      expect(blocks.length).toBe(storedTimes.size);
      const ranges = blocks.map((block) => `${block.offset}+${block.length}`).join(' ');
      let end = 0;
      for (const block of blocks) {
        expect(block.offset, ranges).toBe(end);
        end = block.offset + block.length;
      }
      expect(end).toBe(FILE_BYTES);

      // The bar started where the closed page had got to, and the saved upload is gone.
      const progress = (await second.evaluate('window.__probe.progress')) as number[];
      expect(progress.find((value) => value > 0)).toBe(storedBeforeReopen);
      expect(await savedUploadCount(second)).toBe(0);
    } finally {
      await opened.close();
    }
  });
});

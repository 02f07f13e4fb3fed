// The resume of test/browser/resume.test.ts in Firefox ESR (puppeteer-core over WebDriver BiDi,
// headless): a 12 MB upload, its tab closed after about half the file is stored, the link opened
// again in the same profile; the page continues, storage receives each block once, and the file
// verifies.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchFirefox, PAGE_PROBE } from '@uplink/dev-servers';
import { closeWhenDone, pdfBytes } from '@uplink/testing';
import type { UploadGatewayHarness } from '@uplink/testing/upload-gateway';
import puppeteer, { type Page } from 'puppeteer-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectDelivered, sha256 } from '../browser/browser.ts';
import {
  type CountingStorage,
  closeTab,
  countingStorage,
  expectEachBlockStoredOnce,
  expectProgressFrom,
  gatewayBehind,
  SAVED_UPLOAD_COUNT,
} from '../browser/counting-storage.ts';
import { PROBLEM_PROBE, PROBLEMS_SEEN } from './engine.ts';
import { isVisible, SEND } from './flow.ts';

const MiB = 1024 * 1024;
const FILE_BYTES = 12 * MiB;

/** Every value the progress bar takes, in `window.__probe.progress` (PAGE_PROBE makes `__probe`). */
const PROGRESS_PROBE = `document.addEventListener('DOMContentLoaded', () => {
  window.__probe.progress = [];
  const bar = document.getElementById('progress');
  if (!bar) return;
  new MutationObserver(() => window.__probe.progress.push(Number(bar.value))).observe(bar, {
    attributes: true,
    attributeFilter: ['value'],
  });
});`;

let storage: CountingStorage;
let gateway: UploadGatewayHarness;
let browser: Awaited<ReturnType<typeof puppeteer.launch>>;
let pdfPath: string;
const bytes = pdfBytes(FILE_BYTES - pdfBytes(0).length);

beforeAll(async () => {
  storage = await countingStorage();
  const dir = await mkdtemp(join(tmpdir(), 'uplink-resume-firefox-'));
  closeWhenDone(() => rm(dir, { recursive: true, force: true }));
  pdfPath = join(dir, 'manual.pdf');
  await writeFile(pdfPath, bytes);
  [gateway, browser] = await Promise.all([
    gatewayBehind(storage, { blockBytes: MiB }),
    launchFirefox(puppeteer),
  ]);
  closeWhenDone(() => browser.close());
}, 90_000);

async function waitUntil(page: Page, what: string, expression: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('an upload continued after its page was closed, in Firefox', () => {
  it('resumes in a reopened page, stores each block once, and the file verifies', {
    timeout: 90_000,
  }, async () => {
    expect(bytes.length).toBe(FILE_BYTES);
    const { linkId, url } = await gateway.createLink();
    const context = await browser.createBrowserContext();
    const open = async () => {
      const page = await context.newPage();
      await page.evaluateOnNewDocument(PAGE_PROBE);
      await page.evaluateOnNewDocument(PROBLEM_PROBE);
      await page.evaluateOnNewDocument(PROGRESS_PROBE);
      await page.goto(url);
      return page;
    };
    try {
      const first = await open();
      await first.click('#tab-file');
      await waitUntil(first, 'the File tab', isVisible('#panel-file'));
      const input = await first.$('#file-input');
      if (!input) throw new Error('no #file-input on the page');
      await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(pdfPath);
      await waitUntil(first, 'the Send button', isVisible(SEND));
      await first.click(SEND);
      await expect
        .poll(() => storage.storedBytes(), { timeout: 30_000 })
        .toBeGreaterThanOrEqual(FILE_BYTES / 2);
      expect(await first.evaluate(SAVED_UPLOAD_COUNT)).toBe(1);
      const storedBeforeReopen = await closeTab(storage, () => first.close());
      expect(storedBeforeReopen).toBeLessThan(FILE_BYTES);

      const second = await open();
      await waitUntil(second, '"Sent!"', isVisible('#sent'));
      await expectDelivered(gateway, linkId, { size: bytes.length, sha256: sha256(bytes) });

      expectEachBlockStoredOnce(storage, FILE_BYTES);
      expectProgressFrom((await second.evaluate('window.__probe.progress')) as number[], storedBeforeReopen);
      expect(await second.evaluate(SAVED_UPLOAD_COUNT)).toBe(0);
      expect(await second.evaluate(PROBLEMS_SEEN)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

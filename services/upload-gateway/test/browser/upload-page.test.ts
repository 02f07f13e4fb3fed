// The File tab, the whole file in one request on a fast link, staged-block uploads with failing
// requests, accessibility, language and policy, in headless Chromium against the real gateway on
// NATS, MongoDB-wire and Azurite.
import { DEFAULT_MAX_BYTES } from '@uplink/contracts';
import { formatBytes } from '@uplink/contracts/media-types';
import { screenshot, seriousAxeViolations } from '@uplink/dev-servers';
import { pdfBytes } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import type { Browser, Request } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockId } from '../../client/src/blocks.ts';
import { expectDelivered, openBrowser, openPage, sha256 } from './browser.ts';

const BLOCK_BYTES = 64 * 1024;

let gateway: UploadGatewayHarness;
let browser: Browser;

beforeAll(async () => {
  [gateway, browser] = await Promise.all([uploadGatewayHarness({ blockBytes: BLOCK_BYTES }), openBrowser()]);
}, 60_000);

function pdfFile(name: string, extra = 0) {
  const bytes = pdfBytes(extra);
  return { name, mimeType: 'application/pdf', buffer: Buffer.from(bytes), bytes };
}

describe('sending a file from the page', () => {
  it('picks a file and sends it', async () => {
    const { linkId, url } = await gateway.createLink({ contextMessage: 'The invoice, please.' });
    const opened = await openPage(browser, url);
    const { page } = opened;
    try {
      await page.getByRole('tab', { name: 'File' }).click();
      await screenshot(page, 'file-tab');
      const file = pdfFile('invoice.pdf', 2000);
      await page.getByLabel('Choose files').setInputFiles(file);
      await page
        .getByRole('list', { name: 'To send' })
        .getByRole('listitem')
        .filter({ hasText: 'invoice.pdf' })
        .waitFor();
      await page.getByRole('button', { name: 'Send file' }).click();
      await page.getByRole('heading', { name: 'Sent!' }).waitFor();
      // The "Sent!" screen takes the focus, so screen readers land on it.
      expect(await page.evaluate('document.activeElement?.id')).toBe('sent');
      const blob = await expectDelivered(gateway, linkId, {
        size: file.bytes.length,
        sha256: sha256(file.bytes),
      });
      expect(blob.contentType).toBe('application/pdf');
      expect(await opened.csp()).toEqual([]);
      // Neither a missing favicon nor a response header the page may not read.
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('sends the whole file in one request once the first block shows a fast link', async () => {
    const { linkId, url } = await gateway.createLink();
    const opened = await openPage(browser, url);
    const { page } = opened;
    try {
      const file = pdfFile('scan.pdf', BLOCK_BYTES * 5 + 1000);
      // Every request to storage, by what it is.
      const storageCalls: string[] = [];
      page.on('requestfinished', (request) => {
        const target = new URL(request.url());
        if (request.method() !== 'PUT' || !target.searchParams.has('sig')) return;
        storageCalls.push(target.searchParams.get('comp') ?? 'blob');
      });

      await page.getByRole('tab', { name: 'File' }).click();
      await page.getByLabel('Choose files').setInputFiles(file);
      await page.getByRole('button', { name: 'Send file' }).click();
      await page.getByRole('heading', { name: 'Sent!' }).waitFor();
      await expectDelivered(gateway, linkId, { size: file.bytes.length, sha256: sha256(file.bytes) });

      // The first block alone, then the whole file in one Put Blob: no block list to commit.
      await expect.poll(() => storageCalls).toEqual(['block', 'blob']);
      const progress = await opened.progress();
      for (let i = 1; i < progress.length; i++) {
        expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1] ?? 0);
      }
      expect(progress.at(-1)).toBe(file.bytes.length);
    } finally {
      await opened.close();
    }
  });

  it('goes on in blocks when the whole-file request drops, retries the block that failed alone, and the progress bar never goes back', async () => {
    const { linkId, url } = await gateway.createLink();
    const opened = await openPage(browser, url);
    const { page } = opened;
    try {
      const file = pdfFile('scan.pdf', BLOCK_BYTES * 5 + 1000);
      const blockCount = Math.ceil(file.bytes.length / BLOCK_BYTES);
      expect(blockCount).toBe(6);
      // The whole file in one request (after the first block) dies on the network: a link that
      // drops connections, for blocks.
      let wholeFileDropped = 0;
      await page.route(
        (target) => target.searchParams.has('sig') && !target.searchParams.has('comp'),
        async (route) => {
          if (route.request().method() !== 'PUT') return route.continue();
          wholeFileDropped++;
          await route.abort('connectionreset');
        },
      );

      // Every Put Block request and what became of it.
      const attempts: { blockId: string; status: number | 'failed' }[] = [];
      const blockIdOf = (request: Request) => new URL(request.url()).searchParams.get('blockid');
      page.on('requestfinished', async (request) => {
        const id = blockIdOf(request);
        if (request.method() === 'PUT' && id) {
          attempts.push({ blockId: id, status: (await request.response())?.status() ?? 0 });
        }
      });
      page.on('requestfailed', (request) => {
        const id = blockIdOf(request);
        if (request.method() === 'PUT' && id) attempts.push({ blockId: id, status: 'failed' });
      });
      // The third block's first attempt dies on the network; everything else goes through. Blocks
      // never grow past the gateway's largest, here the first size too.
      const third = blockId({ offset: 2 * BLOCK_BYTES, length: BLOCK_BYTES });
      let failedOnce = false;
      await page.route(
        (target) => target.searchParams.get('comp') === 'block',
        async (route) => {
          const request = route.request();
          const id = blockIdOf(request);
          if (!failedOnce && request.method() === 'PUT' && id === third) {
            failedOnce = true;
            await route.abort('connectionreset');
            return;
          }
          await route.continue();
        },
      );

      await page.getByRole('tab', { name: 'File' }).click();
      await page.getByLabel('Choose files').setInputFiles(file);
      await page.getByRole('button', { name: 'Send file' }).click();
      await page.getByRole('heading', { name: 'Sent!' }).waitFor();
      expect(failedOnce).toBe(true);
      expect(wholeFileDropped).toBe(1);

      await expectDelivered(gateway, linkId, { size: file.bytes.length, sha256: sha256(file.bytes) });

      // Each block was stored exactly once; only the failed one was sent again.
      await expect.poll(() => attempts.length).toBe(blockCount + 1);
      const stored = new Map<string, number>();
      for (const attempt of attempts) {
        if (attempt.status === 201) stored.set(attempt.blockId, (stored.get(attempt.blockId) ?? 0) + 1);
      }
      expect(stored.size).toBe(blockCount);
      expect([...stored.values()].every((count) => count === 1)).toBe(true);
      expect(
        attempts.filter((attempt) => attempt.status === 'failed').map((attempt) => attempt.blockId),
      ).toEqual([third]);

      // The progress bar only ever moved forward, and ended full.
      const progress = await opened.progress();
      expect(progress.length).toBeGreaterThan(2);
      for (let i = 1; i < progress.length; i++) {
        expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1] ?? 0);
      }
      expect(progress.at(-1)).toBe(file.bytes.length);
    } finally {
      await opened.close();
    }
  });
});

describe('gathering several files before sending', () => {
  it('lists files up to the policy limits, names each uniquely, removes one, and counts the message', async () => {
    const maxTotal = 5000;
    try {
      await gateway.updateMediaPolicy({ maxFilesPerSubmission: 3, maxSubmissionBytes: maxTotal });
      const { url } = await gateway.createLink();
      const opened = await openPage(browser, url);
      const { page } = opened;
      try {
        const total = formatBytes(maxTotal);
        await page
          .getByText(`You can send up to 3 files and recordings at once, ${total} in total.`)
          .waitFor();
        await page.getByRole('tab', { name: 'File' }).click();
        // Two fit; the third would bring the total over the limit and is refused by name.
        await page
          .getByLabel('Choose files')
          .setInputFiles([pdfFile('a.pdf', 1000), pdfFile('b.pdf', 1000), pdfFile('c.pdf', 3000)]);
        const items = page.getByRole('list', { name: 'To send' }).getByRole('listitem');
        await expect.poll(() => items.count()).toBe(2);
        expect(await page.getByRole('alert').textContent()).toBe(
          `c.pdf does not fit: everything you send at once may be ${total} at most.`,
        );
        expect(await page.evaluate('document.activeElement?.textContent')).toBe('Send 2 files');
        // A second file of the same name gets a name of its own; a fourth file is one too many.
        await page.getByLabel('Choose files').setInputFiles(pdfFile('a.pdf', 10));
        await page.getByLabel('Choose files').setInputFiles(pdfFile('d.pdf', 10));
        expect(await items.allTextContents()).toEqual([
          expect.stringMatching(/^a\.pdf/),
          expect.stringMatching(/^b\.pdf/),
          expect.stringMatching(/^a-2\.pdf/),
        ]);
        expect(await page.getByRole('alert').textContent()).toBe(
          'You can send up to 3 files and recordings at once.',
        );
        // Removing one moves the focus to the next, and the Send button counts again.
        await page.getByRole('button', { name: 'Remove b.pdf' }).click();
        await expect.poll(() => items.count()).toBe(2);
        expect(await page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe(
          'Remove a-2.pdf',
        );
        await page.getByRole('button', { name: 'Send 2 files' }).waitFor();
        await page.getByLabel('Message for Acme Support (optional)').fill('Hello there');
        await page.getByText('11 of 2000 characters').waitFor();
        expect(await seriousAxeViolations(page)).toEqual([]);
        // Nothing is uploaded before Send.
        expect(opened.gatewayPaths.some((path) => path.endsWith('/uploads'))).toBe(false);
      } finally {
        await opened.close();
      }
    } finally {
      await gateway.updateMediaPolicy({ maxFilesPerSubmission: 10, maxSubmissionBytes: null });
    }
  });

  it('replaces the chosen file with the next one where a submission holds one file', async () => {
    try {
      await gateway.updateMediaPolicy({ maxFilesPerSubmission: 1 });
      const { url } = await gateway.createLink();
      const opened = await openPage(browser, url);
      const { page } = opened;
      try {
        await page.getByRole('tab', { name: 'File' }).click();
        await page.getByLabel('Choose files').setInputFiles(pdfFile('wrong.pdf'));
        await page.getByLabel('Choose files').setInputFiles(pdfFile('right.pdf'));
        const items = page.getByRole('list', { name: 'To send' }).getByRole('listitem');
        await expect.poll(() => items.allTextContents()).toEqual([expect.stringMatching(/^right\.pdf/)]);
        expect(await page.getByRole('alert').textContent()).toBe('');
        await page.getByRole('button', { name: 'Send file' }).waitFor();
      } finally {
        await opened.close();
      }
    } finally {
      await gateway.updateMediaPolicy({ maxFilesPerSubmission: 10 });
    }
  });
});

describe('accessibility, language and policy', () => {
  it('has no serious or critical axe-core violation on any tab, and the tabs work by keyboard', async () => {
    const { url } = await gateway.createLink({ contextMessage: 'Line one\nLine two' });
    const opened = await openPage(browser, url);
    const { page } = opened;
    try {
      // Keyboard: Tab reaches the selected tab, arrow keys move the selection.
      await page.getByRole('tab', { name: 'Audio' }).focus();
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.keyboard.press('ArrowRight');
      expect(await page.getByRole('tab', { name: 'Video' }).getAttribute('aria-selected')).toBe('true');
      expect(await page.getByRole('tabpanel', { name: 'Video' }).isVisible()).toBe(true);
      await page.getByRole('button', { name: 'Turn on camera' }).click();
      await page.getByRole('button', { name: 'Start recording' }).waitFor();
      expect(await seriousAxeViolations(page)).toEqual([]);
      await page.getByRole('tab', { name: 'Video' }).focus();
      await page.keyboard.press('End');
      expect(await page.getByRole('tab', { name: 'File' }).getAttribute('aria-selected')).toBe('true');
      expect(await seriousAxeViolations(page)).toEqual([]);
      // A refused file is announced (role=alert) and nothing is uploaded.
      await page.getByLabel('Choose files').setInputFiles({
        name: 'setup.exe',
        mimeType: 'application/x-msdownload',
        buffer: Buffer.from('MZ'),
      });
      expect(await page.getByRole('alert').textContent()).toBe('Files like setup.exe are not accepted here.');
      expect(await seriousAxeViolations(page)).toEqual([]);
      expect(opened.gatewayPaths.some((path) => path.endsWith('/uploads'))).toBe(false);
    } finally {
      await opened.close();
    }
  });

  it('renders in German when the browser asks for German, on a phone', async () => {
    const { url } = await gateway.createLink({ contextMessage: 'Bitte ein Foto vom Typenschild.' });
    const opened = await openPage(browser, url, { locale: 'de-DE', phone: true });
    const { page } = opened;
    try {
      expect(await page.getAttribute('html', 'lang')).toBe('de');
      await page.getByRole('heading', { name: /Sichere Dateianfrage von Acme Support/ }).waitFor();
      expect(await page.getByRole('tab').allTextContents()).toEqual(['Audio', 'Video', 'Datei']);
      await screenshot(page, 'german-phone');

      // Phones get the camera switch when they have two cameras, but no background blur.
      await page.getByRole('tab', { name: 'Video' }).click();
      await page.getByRole('button', { name: 'Kamera einschalten' }).click();
      await page.getByRole('button', { name: 'Aufnahme starten' }).waitFor();
      expect(await page.getByLabel('Hintergrund unscharf').isVisible()).toBe(false);

      await page.getByRole('tab', { name: 'Datei' }).click();
      await page.getByLabel('Dateien auswählen').setInputFiles({
        name: 'setup.exe',
        mimeType: 'application/x-msdownload',
        buffer: Buffer.from('MZ'),
      });
      expect(await page.getByRole('alert').textContent()).toBe(
        'Dateien wie setup.exe werden hier nicht angenommen.',
      );
      expect(await opened.csp()).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('shows only the tabs the media policy allows, and the tenant message when receiving is off', async () => {
    try {
      await gateway.updateMediaPolicy({
        categories: { audio: { allowed: false }, document: { maxBytes: 1024 } },
      });
      const first = await gateway.createLink();
      let opened = await openPage(browser, first.url);
      expect(await opened.page.getByRole('tab').allTextContents()).toEqual(['Video', 'Screen', 'File']);
      // The page checks the size against the category's limit before asking for an upload.
      await opened.page.getByRole('tab', { name: 'File' }).click();
      await opened.page.getByLabel('Choose files').setInputFiles(pdfFile('big.pdf', 2048));
      expect(await opened.page.getByRole('alert').textContent()).toMatch(
        /^big\.pdf is 2\.\d kB; the largest file allowed is 1 kB\.$/,
      );
      expect(opened.gatewayPaths.some((path) => path.endsWith('/uploads'))).toBe(false);
      await opened.close();

      await gateway.updateMediaPolicy({
        receiveEnabled: false,
        disabledMessage: 'We are moving offices: please call us.',
      });
      const second = await gateway.createLink();
      opened = await openPage(browser, second.url);
      expect(await opened.page.getByRole('tab').count()).toBe(0);
      await opened.page.getByText('We are moving offices: please call us.').waitFor();
      await screenshot(opened.page, 'receiving-off');
      await opened.close();
    } finally {
      await gateway.updateMediaPolicy({
        receiveEnabled: true,
        disabledMessage: null,
        categories: { audio: { allowed: true }, document: { maxBytes: DEFAULT_MAX_BYTES } },
      });
    }
  });
});

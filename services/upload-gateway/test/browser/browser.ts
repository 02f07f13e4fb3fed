// Helpers for the upload page's browser tests: headless Chromium (fake camera and microphone),
// a probe that watches the page from the inside, and checks of what reached Blob storage.

import { createHash } from 'node:crypto';
import { completedFiles } from '@uplink/contracts';
import { CHROMIUM_PHONE, cspViolations, launchChromium, PAGE_PROBE } from '@uplink/dev-servers';
import { closeWhenDone, eventually } from '@uplink/testing';
import type { UploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Headless Chromium, closed when the test or file that opened it is done. */
export async function openBrowser(): Promise<Browser> {
  const browser = await launchChromium(chromium);
  closeWhenDone(() => browser.close());
  return browser;
}

/**
 * Installed before any page script runs (as Playwright init script, which the page's CSP does
 * not apply to). The product code has no test hooks; this probe observes it from outside:
 * - every MediaRecorder's chunks, so the test knows the exact bytes the page recorded, and
 *   whether the recorded video track came from a canvas (the blur pipeline);
 * - every value the progress bar took;
 * - a way to ask Chromium's media stack for a file's duration;
 * - Content-Security-Policy violations (PAGE_PROBE, installed before it).
 */
const PROBE = `(() => {
  const probe = window.__probe;
  probe.recordings = [];
  probe.progress = [];
  const Native = window.MediaRecorder;
  if (Native) {
    window.MediaRecorder = class extends Native {
      constructor(stream, options) {
        super(stream, options);
        const entry = {
          chunks: [],
          mimeType: this.mimeType,
          fromCanvas: stream.getVideoTracks().some((track) => track instanceof CanvasCaptureMediaStreamTrack),
        };
        probe.recordings.push(entry);
        this.addEventListener('dataavailable', (event) => {
          if (event.data.size > 0) entry.chunks.push(event.data);
        });
      }
    };
  }
  probe.lastRecording = async () => {
    const entry = probe.recordings[probe.recordings.length - 1];
    if (!entry) return null;
    const bytes = new Uint8Array(await new Blob(entry.chunks).arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { base64: btoa(binary), mimeType: entry.mimeType, fromCanvas: entry.fromCanvas };
  };
  probe.mediaDuration = async (base64, type) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const element = document.createElement(type.startsWith('video') ? 'video' : 'audio');
    element.preload = 'metadata';
    const loaded = new Promise((resolve, reject) => {
      element.onloadedmetadata = resolve;
      element.onerror = () => reject(new Error('cannot decode the ' + type + ' recording'));
    });
    element.src = URL.createObjectURL(new Blob([bytes], { type }));
    await loaded;
    URL.revokeObjectURL(element.src);
    // Infinity does not survive the trip back to the test as a number.
    return Number.isFinite(element.duration) ? element.duration : 'Infinity';
  };
  document.addEventListener('DOMContentLoaded', () => {
    const bar = document.getElementById('progress');
    if (!bar) return;
    new MutationObserver(() => probe.progress.push(Number(bar.value))).observe(bar, {
      attributes: true,
      attributeFilter: ['value'],
    });
  });
})();`;

/** What MediaRecorder gave the page, chunk after chunk, before the page wrote the duration in. */
export type Recorded = { bytes: Uint8Array; mimeType: string; fromCanvas: boolean };

export type OpenedPage = {
  context: BrowserContext;
  page: Page;
  /** Origins of every request the page made. */
  origins: Set<string>;
  /** Paths of every request to the gateway. */
  gatewayPaths: string[];
  /** What the engine logged as an error (a refused header, a failed load) and uncaught errors. */
  consoleErrors: string[];
  csp(): Promise<string[]>;
  progress(): Promise<number[]>;
  lastRecording(): Promise<Recorded | null>;
  close(): Promise<void>;
};

export async function openPage(
  browser: Browser,
  url: string,
  options: { locale?: string; phone?: boolean } = {},
): Promise<OpenedPage> {
  const context = await browser.newContext({
    locale: options.locale ?? 'en-US',
    ...(options.phone ? CHROMIUM_PHONE : { viewport: { width: 1000, height: 900 } }),
  });
  await context.addInitScript({ content: PAGE_PROBE });
  await context.addInitScript({ content: PROBE });
  const page = await context.newPage();
  const origins = new Set<string>();
  const gatewayPaths: string[] = [];
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  const gatewayOrigin = new URL(url).origin;
  page.on('request', (request) => {
    const target = new URL(request.url());
    if (target.protocol === 'blob:' || target.protocol === 'data:') return;
    origins.add(target.origin);
    if (target.origin === gatewayOrigin) gatewayPaths.push(target.pathname);
  });
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  return {
    context,
    page,
    origins,
    gatewayPaths,
    consoleErrors,
    csp: () => cspViolations(page),
    progress: () => page.evaluate('window.__probe.progress') as Promise<number[]>,
    lastRecording: async () => {
      const found = (await page.evaluate('window.__probe.lastRecording()')) as
        | (Omit<Recorded, 'bytes'> & { base64: string })
        | null;
      if (!found) return null;
      const { base64, ...rest } = found;
      return { ...rest, bytes: new Uint8Array(Buffer.from(base64, 'base64')) };
    },
    close: () => context.close(),
  };
}

/** Waits until `player`, an audio or video element, has loaded its media (HAVE_METADATA or better). */
/**
 * Waits until the page's own recording clock says two seconds or more: a fixed pause records
 * less on a loaded machine, and the clock may be past 0:02 already when the wait starts (the
 * blur test first waits for the segmentation to advance).
 */
export async function recordedTwoSeconds(page: Page): Promise<void> {
  await page.locator('.time:visible', { hasText: /^0:(0[2-9]|[1-5]\d)$/ }).waitFor();
}

export async function expectPlayable(player: Locator): Promise<void> {
  await expect
    .poll(() => player.evaluate((media) => (media as unknown as { readyState: number }).readyState))
    .toBeGreaterThanOrEqual(1);
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * After "Sent!": the link is received, exactly one upload.completed was published for it, and
 * the blob it names holds exactly `expected` (size and SHA-256).
 */
export async function expectDelivered(
  gateway: UploadGatewayHarness,
  linkId: string,
  expected: { size: number; sha256: string },
): Promise<{ blobName: string; contentType: string }> {
  const { file, stored } = await deliveredFile(gateway, linkId);
  expect(stored.length).toBe(expected.size);
  expect(sha256(stored)).toBe(expected.sha256);
  return file;
}

const SEGMENT_INFO_ID = Uint8Array.of(0x15, 0x49, 0xa9, 0x66);
const TRACKS_ID = Uint8Array.of(0x16, 0x54, 0xae, 0x6b);

/**
 * After "Sent!" for a recording: what reached storage is what MediaRecorder made, with only the
 * WebM's Info rewritten (the page adds the duration): the bytes before Info and everything from
 * Tracks on are the recorder's own. And Chromium reads a duration from the stored file, where the
 * recorder's own file has none. Returns that duration, in seconds.
 */
export async function expectRecordingDelivered(
  gateway: UploadGatewayHarness,
  linkId: string,
  recorded: Recorded,
  page: Page,
): Promise<{ blobName: string; contentType: string; durationSeconds: number }> {
  const { file, stored } = await deliveredFile(gateway, linkId);
  const raw = Buffer.from(recorded.bytes);
  const infoAt = raw.indexOf(SEGMENT_INFO_ID);
  const tracksAt = raw.indexOf(TRACKS_ID);
  expect(infoAt).toBeGreaterThan(0);
  expect(tracksAt).toBeGreaterThan(infoAt);
  expect(stored.length).toBeGreaterThan(raw.length);
  expect(stored.subarray(0, infoAt).equals(raw.subarray(0, infoAt))).toBe(true);
  const clusters = raw.subarray(tracksAt);
  expect(stored.subarray(stored.length - clusters.length).equals(clusters)).toBe(true);

  const durationIn = (bytes: Uint8Array) => mediaDuration(page, bytes, recorded.mimeType);
  expect(await durationIn(raw)).toBe(Number.POSITIVE_INFINITY);
  const durationSeconds = await durationIn(stored);
  expect(Number.isFinite(durationSeconds)).toBe(true);
  return { ...file, durationSeconds };
}

/** The duration Chromium's media stack reads from `bytes` before playing any of it. */
async function mediaDuration(page: Page, bytes: Uint8Array, type: string): Promise<number> {
  const duration = (await page.evaluate(
    `window.__probe.mediaDuration(${JSON.stringify(Buffer.from(bytes).toString('base64'))}, ${JSON.stringify(type)})`,
  )) as number | 'Infinity';
  return duration === 'Infinity' ? Number.POSITIVE_INFINITY : duration;
}

/** The link is received, exactly one upload.completed was published for it; its file and stored bytes. */
export async function deliveredFile(
  gateway: UploadGatewayHarness,
  linkId: string,
): Promise<{ file: { blobName: string; contentType: string }; stored: Buffer }> {
  expect(await gateway.linkStatus(linkId)).toBe('received');
  // The outbox publishes right after the update; on a loaded machine that can take a while.
  const events = await eventually(
    `upload.completed for ${linkId}`,
    async () => {
      const found = (await gateway.completedEvents()).filter((event) => event.linkId === linkId);
      return found.length > 0 ? found : undefined;
    },
    20_000,
  );
  expect(events).toHaveLength(1);
  const file = events.flatMap(completedFiles)[0];
  if (!file) throw new Error('no upload.completed event');
  const stored = await gateway.container.getBlockBlobClient(file.blobName).downloadToBuffer();
  expect(file.size).toBe(stored.length);
  return { file: { blobName: file.blobName, contentType: file.contentType }, stored };
}

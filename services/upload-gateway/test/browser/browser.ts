// Helpers for the upload page's browser tests: headless Chromium (fake camera and microphone),
// a probe that watches the page from the inside, and checks of what reached Blob storage.
import { createHash } from 'node:crypto';
import { cspViolations, launchChromium, PAGE_PROBE } from '@uplink/dev-servers';
import { eventually } from '@uplink/kit/testing';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { GatewayHarness } from '../harness.ts';

export function openBrowser(): Promise<Browser> {
  return launchChromium(chromium);
}

/**
 * Installed before any page script runs (as Playwright init script, which the page's CSP does
 * not apply to). The product code has no test hooks; this probe observes it from outside:
 * - every MediaRecorder's chunks, so the test knows the exact bytes the page recorded, and
 *   whether the recorded video track came from a canvas (the blur pipeline);
 * - every value the progress bar took;
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
    const bytes = await new Blob(entry.chunks).arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
    return { size: bytes.byteLength, sha256, mimeType: entry.mimeType, fromCanvas: entry.fromCanvas };
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

export type Recorded = { size: number; sha256: string; mimeType: string; fromCanvas: boolean };

export type OpenedPage = {
  context: BrowserContext;
  page: Page;
  /** Origins of every request the page made. */
  origins: Set<string>;
  /** Paths of every request to the gateway. */
  gatewayPaths: string[];
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
    ...(options.phone
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
      : { viewport: { width: 1000, height: 900 } }),
  });
  await context.addInitScript({ content: PAGE_PROBE });
  await context.addInitScript({ content: PROBE });
  const page = await context.newPage();
  const origins = new Set<string>();
  const gatewayPaths: string[] = [];
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
    csp: () => cspViolations(page),
    progress: () => page.evaluate('window.__probe.progress') as Promise<number[]>,
    lastRecording: () => page.evaluate('window.__probe.lastRecording()') as Promise<Recorded | null>,
    close: () => context.close(),
  };
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * After "Sent!": the link is received, exactly one upload.completed was published for it, and
 * the blob it names holds exactly `expected` (size and SHA-256).
 */
export async function expectDelivered(
  gateway: GatewayHarness,
  linkId: string,
  expected: { size: number; sha256: string },
): Promise<{ blobName: string; contentType: string }> {
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
  const file = events[0]?.data.file;
  if (!file) throw new Error('no upload.completed event');
  const stored = await gateway.container.getBlockBlobClient(file.blobName).downloadToBuffer();
  expect(stored.length).toBe(expected.size);
  expect(sha256(stored)).toBe(expected.sha256);
  expect(file.size).toBe(expected.size);
  return { blobName: file.blobName, contentType: file.contentType };
}

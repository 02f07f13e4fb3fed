// The customer's flow in every engine customers use, on the real gateway (NATS, MongoDB-wire,
// Azurite): Chromium as a desktop and as a phone, Firefox ESR, and WebKitGTK (Safari's engine).
// Each loads the page, sends a voice message, a video (or is told it cannot record one, and sends
// a file instead) and a file; with no page errors, no serious accessibility violations, and a
// screenshot of every tab in test-artifacts/screenshots/engine-<engine>-<tab>.png.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshot } from '@uplink/dev-servers';
import { pdfBytes } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveredFile, expectDelivered, sha256 } from '../browser/browser.ts';
import { openChromium } from './chromium.ts';
import type { Engine, EnginePage } from './engine.ts';
import { openFirefox } from './firefox.ts';
import {
  errorText,
  expectClean,
  isVisible,
  playbackDuration,
  recordTake,
  SEND,
  selectTab,
  sendAndWait,
  texts,
  waitVisible,
  webmDurationMs,
} from './flow.ts';
import { openWebKit } from './webkit.ts';

type EngineCase = {
  open: () => Promise<Engine>;
  /** The type MediaRecorder gives a voice message here. */
  audioType: RegExp;
  /** The video recording's type, or null where the engine records nothing (WebKitGTK here). */
  videoType: RegExp | null;
  /** Background blur is offered: where the canvas filter really blurs, not on phones. */
  blur: boolean;
  /** The Screen tab is offered (desktop browsers that can share a screen). */
  screen: boolean;
  /**
   * Sharing a screen works here without a person to pick one: Chromium's fake media UI picks a
   * fake monitor, Firefox (permissions off) shares its virtual display, WebKitGTK a mock screen.
   */
  screenCapture: boolean;
};

const ENGINES: Record<string, EngineCase> = {
  'Chromium desktop': {
    open: () => openChromium('desktop'),
    audioType: /^audio\/webm/,
    videoType: /^video\/webm/,
    blur: true,
    screen: true,
    screenCapture: true,
  },
  'Chromium phone': {
    open: () => openChromium('phone'),
    audioType: /^audio\/webm/,
    videoType: /^video\/webm/,
    blur: false,
    screen: false,
    screenCapture: false,
  },
  // Headless Firefox has no fine pointer: blur used to be hidden there (it blurs fine).
  'Firefox ESR': {
    open: openFirefox,
    audioType: /^audio\/webm/,
    videoType: /^video\/webm/,
    blur: true,
    screen: true,
    screenCapture: true,
  },
  // No canvas filter: blur used to be a blocky fallback. Video records 0 bytes with Debian 12's
  // GStreamer 1.22 (its encoder needs autovideoflip, from 1.24): the page must say so.
  WebKitGTK: {
    open: openWebKit,
    audioType: /^audio\/mp4/,
    videoType: null,
    blur: false,
    screen: true,
    screenCapture: true,
  },
};

let gateway: UploadGatewayHarness;
let fileDir: string;
let pdfPath: string;
const pdf = pdfBytes(3000);

beforeAll(async () => {
  gateway = await uploadGatewayHarness();
  fileDir = await mkdtemp(join(tmpdir(), 'uplink-engines-'));
  pdfPath = join(fileDir, 'invoice.pdf');
  await writeFile(pdfPath, pdf);
}, 60_000);
afterAll(async () => {
  if (fileDir) await rm(fileDir, { recursive: true, force: true });
});

/** No page errors and no serious or critical axe violations, as the page is now. */
/** Sends the PDF from the File tab and checks storage holds exactly its bytes. */
async function sendPdf(page: EnginePage, linkId: string): Promise<void> {
  await page.setInputFile('#file-input', pdfPath);
  await waitVisible(page, SEND);
  expect(await sendAndWait(page)).toBe(pdf.length);
  const stored = await expectDelivered(gateway, linkId, { size: pdf.length, sha256: sha256(pdf) });
  expect(stored.contentType).toBe('application/pdf');
}

describe.each(Object.entries(ENGINES))('the customer flow in %s', (_, engineCase) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineCase.open();
  }, 90_000);
  afterAll(async () => {
    await engine?.close();
  });

  const shot = (page: EnginePage, what: string) => screenshot(page, `engine-${engine.name}-${what}`);

  it('loads, records a voice message with its length and sends it', async () => {
    const { linkId, url } = await gateway.createLink({ contextMessage: 'Please describe the noise.' });
    const page = await engine.open(url);
    try {
      await waitVisible(page, '#panel-audio [data-action="record"]');
      await expectClean(page);
      await shot(page, 'audio');

      await recordTake(page, 'audio', 1200);
      await waitVisible(page, SEND);
      // The engine's own player knows how long the take is (Firefox's said 0:00 before): about
      // the 1.2 s between the clicks, less the recorder's start (WebKit's takes 0.2 s).
      const seconds = await playbackDuration(page, 'audio');
      expect(seconds).toBeGreaterThan(0.8);
      expect(seconds).toBeLessThan(5);
      const size = await sendAndWait(page);

      const { file, stored } = await deliveredFile(gateway, linkId);
      expect(file.contentType).toMatch(engineCase.audioType);
      expect(stored.length).toBe(size);
      // A WebM carries its length in its Info for every player (the agent's too).
      if (file.contentType.includes('webm')) {
        expect(webmDurationMs(stored)).toBeGreaterThan(800);
        expect(webmDurationMs(stored)).toBeLessThan(5000);
      }
      await shot(page, 'sent');
      await expectClean(page);
    } finally {
      await page.close();
    }
  });

  it('records a video and sends it, or tells the customer it cannot and takes a file instead', async () => {
    const { linkId, url } = await gateway.createLink();
    const page = await engine.open(url);
    try {
      await selectTab(page, 'video');
      await expectClean(page);
      await shot(page, 'video');
      await page.click('#panel-video [data-action="camera"]');
      await waitVisible(page, '#panel-video [data-action="record"]');
      expect(await page.evaluate(isVisible('[data-option="blur"]'))).toBe(engineCase.blur);

      await recordTake(page, 'video', 1500);
      if (!engineCase.videoType) {
        // An empty recording is never offered: the customer is told and pointed to the File tab.
        expect(await errorText(page)).toBe(texts.recordingFailed);
        expect(await page.evaluate(isVisible(SEND))).toBe(false);
        expect(await page.evaluate(isVisible('#panel-video .playback'))).toBe(false);
        await shot(page, 'video-failed');
        await selectTab(page, 'file');
        await sendPdf(page, linkId);
        await expectClean(page);
        return;
      }
      await waitVisible(page, SEND);
      const seconds = await playbackDuration(page, 'video');
      expect(seconds).toBeGreaterThan(1);
      expect(seconds).toBeLessThan(5);
      const size = await sendAndWait(page);
      const { file, stored } = await deliveredFile(gateway, linkId);
      expect(file.contentType).toMatch(engineCase.videoType);
      expect(stored.length).toBe(size);
      if (file.contentType.includes('webm')) expect(webmDurationMs(stored)).toBeGreaterThan(1000);
      await expectClean(page);
    } finally {
      await page.close();
    }
  });

  it.runIf(engineCase.screenCapture)(
    'records the screen and sends it, or tells the customer it cannot',
    async () => {
      const { linkId, url } = await gateway.createLink();
      const page = await engine.open(url);
      try {
        await selectTab(page, 'screen');
        await page.click('#panel-screen [data-action="share"]');
        await waitVisible(page, '#panel-screen [data-action="record"]');
        await recordTake(page, 'screen', 1500);
        if (!engineCase.videoType) {
          // WebKitGTK shares its mock screen but records no video here: the customer is told.
          expect(await errorText(page)).toBe(texts.recordingFailed);
          expect(await page.evaluate(isVisible(SEND))).toBe(false);
          await expectClean(page);
          return;
        }
        await waitVisible(page, SEND);
        await shot(page, 'screen-recorded');
        const seconds = await playbackDuration(page, 'screen');
        expect(seconds).toBeGreaterThan(1);
        expect(seconds).toBeLessThan(5);
        const size = await sendAndWait(page);
        const { file, stored } = await deliveredFile(gateway, linkId);
        expect(file.contentType).toMatch(/^video\/webm/);
        expect(stored.length).toBe(size);
        expect(webmDurationMs(stored)).toBeGreaterThan(1000);
        await expectClean(page);
      } finally {
        await page.close();
      }
    },
  );

  it('shows the Screen tab where it is offered, and sends a file', async () => {
    const { linkId, url } = await gateway.createLink();
    const page = await engine.open(url);
    try {
      expect(await page.evaluate(isVisible('#tab-screen'))).toBe(engineCase.screen);
      if (engineCase.screen) {
        await selectTab(page, 'screen');
        await expectClean(page);
        await shot(page, 'screen');
      }
      await selectTab(page, 'file');
      await expectClean(page);
      await shot(page, 'file');
      await sendPdf(page, linkId);
      await expectClean(page);
    } finally {
      await page.close();
    }
  });
});

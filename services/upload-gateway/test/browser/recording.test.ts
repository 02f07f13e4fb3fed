// Recording in the page, in headless Chromium with a fake camera and microphone, against the
// real gateway on NATS, MongoDB-wire and Azurite.
import { screenshot } from '@uplink/dev-servers';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  expectPlayable,
  expectRecordingDelivered,
  openBrowser,
  openPage,
  recordedTwoSeconds,
} from './browser.ts';

let gateway: UploadGatewayHarness;
let browser: Browser;

beforeAll(async () => {
  [gateway, browser] = await Promise.all([uploadGatewayHarness(), openBrowser()]);
}, 60_000);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('recording in the browser', () => {
  it('records a voice message, plays it back and sends it', async () => {
    const { linkId, url } = await gateway.createLink({ contextMessage: 'Please describe the noise.' });
    const opened = await openPage(browser, url);
    const { page } = opened;
    try {
      await page.getByRole('heading', { name: /Secure file request from Acme Support/ }).waitFor();
      expect(await page.getByRole('complementary', { name: 'Message from Acme Support' }).textContent()).toBe(
        'Please describe the noise.',
      );
      await screenshot(page, 'audio-tab');

      await page.getByRole('button', { name: 'Start recording' }).click();
      await page.getByRole('button', { name: 'Stop recording' }).waitFor();
      await pause(1200);
      await page.getByRole('button', { name: 'Stop recording' }).click();
      await page.getByLabel('Your recording').waitFor();
      // Listening back works: the recording loads as media (HAVE_METADATA or better).
      await expectPlayable(page.getByLabel('Your recording'));
      await screenshot(page, 'audio-recorded');

      await page.getByRole('button', { name: 'Send voice message' }).click();
      await page.getByRole('heading', { name: 'Sent!' }).waitFor();
      await screenshot(page, 'sent');

      const recorded = await opened.lastRecording();
      if (!recorded) throw new Error('the page recorded nothing');
      expect(recorded.mimeType).toMatch(/^audio\/webm/);
      const blob = await expectRecordingDelivered(gateway, linkId, recorded, page);
      expect(blob.contentType).toBe('audio/webm');
      // The agent's player shows how long the message is: about the 1.2 s between the clicks.
      expect(blob.durationSeconds).toBeGreaterThan(1);
      expect(blob.durationSeconds).toBeLessThan(5);
      expect(await opened.csp()).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('records a video, plays it back and sends it', async () => {
    const { linkId, url } = await gateway.createLink();
    const opened = await openPage(browser, url);
    const { page } = opened;
    try {
      await page.getByRole('tab', { name: 'Video' }).click();
      await page.getByRole('button', { name: 'Turn on camera' }).click();
      await page.getByRole('button', { name: 'Start recording' }).waitFor();
      await screenshot(page, 'video-tab');

      await page.getByRole('button', { name: 'Start recording' }).click();
      await recordedTwoSeconds(page);
      await page.getByRole('button', { name: 'Stop recording' }).click();
      await page.getByLabel('Your video').waitFor();
      await page.getByRole('button', { name: 'Send video' }).click();
      await page.getByRole('heading', { name: 'Sent!' }).waitFor();

      const recorded = await opened.lastRecording();
      if (!recorded) throw new Error('the page recorded nothing');
      expect(recorded.mimeType).toMatch(/^video\/webm/);
      expect(recorded.fromCanvas).toBe(false);
      const blob = await expectRecordingDelivered(gateway, linkId, recorded, page);
      expect(blob.contentType).toBe('video/webm');
      expect(blob.durationSeconds).toBeGreaterThan(1.3);
      expect(blob.durationSeconds).toBeLessThan(5);
      expect(await opened.csp()).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  // Software WebGL runs the model at ~10 frames/s on two cores, a few on a loaded machine: the
  // timeout covers both polls' 20 s, the recording and the upload, which 45 s did not.
  it('blurs the background with the segmentation model from our own origin', {
    timeout: 75_000,
  }, async () => {
    const { linkId, url } = await gateway.createLink();
    const opened = await openPage(browser, url);
    const { page } = opened;
    try {
      await page.getByRole('tab', { name: 'Video' }).click();
      await page.getByRole('button', { name: 'Turn on camera' }).click();
      await page.getByLabel('Blur background').check();
      const canvas = page.locator('canvas.blurred');
      const segmentedFrames = async () => Number((await canvas.getAttribute('data-segmented-frames')) ?? 0);
      await expect.poll(segmentedFrames, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(5);
      expect(await canvas.isVisible()).toBe(true);
      await screenshot(page, 'video-blur');

      await page.getByRole('button', { name: 'Start recording' }).click();
      const atStart = await segmentedFrames();
      // Frames keep going through the segmentation while the recorder takes the canvas's stream.
      // Polled, not counted over a fixed time: a loaded machine runs the model at a few frames/s.
      await expect
        .poll(async () => (await segmentedFrames()) - atStart, { timeout: 20_000, interval: 100 })
        .toBeGreaterThan(5);
      await recordedTwoSeconds(page);
      await page.getByRole('button', { name: 'Stop recording' }).click();
      await page.getByRole('button', { name: 'Send video' }).click();
      await page.getByRole('heading', { name: 'Sent!' }).waitFor();

      const recorded = await opened.lastRecording();
      if (!recorded) throw new Error('the page recorded nothing');
      expect(recorded.fromCanvas).toBe(true);
      await expectRecordingDelivered(gateway, linkId, recorded, page);

      // Script, graph, model and wasm all came from the gateway; nothing else was contacted.
      const segmentation = opened.gatewayPaths.filter((path) => path.startsWith('/assets/segmentation-'));
      const fileNames = segmentation.map((path) => path.slice(path.lastIndexOf('/') + 1));
      expect(fileNames).toEqual(
        expect.arrayContaining([
          'selfie_segmentation.js',
          'selfie_segmentation.binarypb',
          'selfie_segmentation_landscape.tflite',
        ]),
      );
      expect(fileNames.some((name) => name.endsWith('.wasm'))).toBe(true);
      expect([...opened.origins].sort()).toEqual([gateway.baseUrl, gateway.storageOrigin].sort());
      expect(await opened.csp()).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});

// The Screen tab in headless Chromium: the fake media UI accepts the screen share by itself
// (a 1280×720 fake monitor) and the fake microphone gives the voice. Against the real gateway on
// NATS, MongoDB-wire and Azurite.
import { screenshot, seriousAxeViolations } from '@uplink/dev-servers';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import type { Browser, Page } from 'playwright-core';
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

/** Whether a WebM's Tracks name a codec (`V_VP9`, `A_OPUS`): which tracks were recorded. */
const hasCodec = (webm: Uint8Array, codec: string) => Buffer.from(webm).includes(codec, 0, 'latin1');

async function recordScreen(page: Page, withVoice: boolean): Promise<void> {
  await page.getByRole('tab', { name: 'Screen' }).click();
  await page.getByLabel('Also record my voice (microphone)').setChecked(withVoice);
  await page.getByRole('button', { name: 'Choose what to share' }).click();
  await page.getByRole('button', { name: 'Start recording' }).waitFor();
  await page.getByRole('button', { name: 'Start recording' }).click();
  await recordedTwoSeconds(page);
  await page.getByRole('button', { name: 'Stop recording' }).click();
  await page.getByLabel('Your screen recording').waitFor();
}

describe('the Screen tab', () => {
  it('records the screen with the voice, plays it back and sends it as a video', {
    timeout: 30_000,
  }, async () => {
    const { linkId, url } = await gateway.createLink({ contextMessage: 'Please show us the error.' });
    const opened = await openPage(browser, url);
    const { page } = opened;
    try {
      expect(await page.getByRole('tab').allTextContents()).toEqual(['Audio', 'Video', 'Screen', 'File']);
      await page.getByRole('tab', { name: 'Screen' }).click();
      await screenshot(page, 'screen-tab');
      expect(await seriousAxeViolations(page)).toEqual([]);

      await recordScreen(page, true);
      await expectPlayable(page.getByLabel('Your screen recording'));
      await screenshot(page, 'screen-recorded');
      await page.getByRole('button', { name: 'Send screen recording' }).click();
      await page.getByRole('heading', { name: 'Sent!' }).waitFor();

      const recorded = await opened.lastRecording();
      if (!recorded) throw new Error('the page recorded nothing');
      expect(recorded.mimeType).toMatch(/^video\/webm/);
      expect(hasCodec(recorded.bytes, 'A_OPUS')).toBe(true);
      const blob = await expectRecordingDelivered(gateway, linkId, recorded, page);
      expect(blob.contentType).toBe('video/webm');
      expect(blob.durationSeconds).toBeGreaterThan(1.3);
      expect(blob.durationSeconds).toBeLessThan(5);
      const file = (await gateway.links.getById(linkId))?.files?.[0];
      expect(file).toMatchObject({ kind: 'video', category: 'video' });
      expect(file?.fileName).toMatch(/^screen-recording-\d{4}-\d{2}-\d{2}-\d{4}\.webm$/);
      expect(await opened.csp()).toEqual([]);
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('records the screen alone when the microphone is not ticked', { timeout: 30_000 }, async () => {
    const { linkId, url } = await gateway.createLink();
    const opened = await openPage(browser, url);
    const { page } = opened;
    try {
      await recordScreen(page, false);
      await page.getByRole('button', { name: 'Send screen recording' }).click();
      await page.getByRole('heading', { name: 'Sent!' }).waitFor();
      const recorded = await opened.lastRecording();
      if (!recorded) throw new Error('the page recorded nothing');
      expect(hasCodec(recorded.bytes, 'A_OPUS')).toBe(false);
      // No audio codec asked for a stream without sound (Firefox's recorder then never stops).
      expect(recorded.mimeType).not.toMatch(/opus/);
      await expectRecordingDelivered(gateway, linkId, recorded, page);
    } finally {
      await opened.close();
    }
  });

  it('is not offered on a phone, and the other tabs keep their keyboard order', async () => {
    const { url } = await gateway.createLink();
    const opened = await openPage(browser, url, { phone: true });
    const { page } = opened;
    try {
      expect(await page.getByRole('tab').allTextContents()).toEqual(['Audio', 'Video', 'File']);
      expect(await page.locator('#panel-screen').count()).toBe(0);
      await page.getByRole('tab', { name: 'Video' }).click();
      await page.keyboard.press('ArrowRight');
      expect(await page.evaluate('document.activeElement?.id')).toBe('tab-file');
    } finally {
      await opened.close();
    }
  });
});

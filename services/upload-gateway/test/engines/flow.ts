// The customer's steps on the upload page, and the checks made after them, written once against
// the Engine interface, so every engine goes through exactly the same flow. Selectors are the
// page's own structure (tab ids, data-action buttons); texts come from the English messages.

import { seriousAxeViolations } from '@uplink/dev-servers';
import { expect } from 'vitest';
import { readElement } from '../../client/src/webm-duration.ts';
import { en } from '../../src/page/messages/en.ts';
import type { EnginePage } from './engine.ts';

export const texts = en.client;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The engine logged no problem and axe-core finds no serious or critical violation. */
export async function expectClean(page: EnginePage): Promise<void> {
  expect(await page.problems()).toEqual([]);
  expect(await seriousAxeViolations(page)).toEqual([]);
}

/** An expression: whether `selector` finds an element the customer can see. */
export const isVisible = (selector: string): string =>
  `(() => { const found = document.querySelector(${JSON.stringify(selector)}); ` +
  'return !!found && found.closest("[hidden]") === null && found.getClientRects().length > 0; })()';

/** Polls `expression` in the page until it is truthy. */
export async function waitFor(
  page: EnginePage,
  what: string,
  expression: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}`);
    await pause(100);
  }
}

export const waitVisible = (page: EnginePage, selector: string, timeoutMs?: number) =>
  waitFor(page, `${selector} to show`, isVisible(selector), timeoutMs);

/** The tabs that record a take. */
export type RecordingPanel = 'audio' | 'video' | 'screen';

export async function selectTab(page: EnginePage, tab: RecordingPanel | 'file'): Promise<void> {
  await page.click(`#tab-${tab}`);
  await waitVisible(page, `#panel-${tab}`);
}

/** Records for `ms` in the panel, stops, and waits for the take to end. */
export async function recordTake(page: EnginePage, panel: RecordingPanel, ms: number): Promise<void> {
  await page.click(`#panel-${panel} [data-action="record"]`);
  await waitVisible(page, `#panel-${panel} [data-action="stop"]`);
  await pause(ms);
  await page.click(`#panel-${panel} [data-action="stop"]`);
  await waitVisible(page, `#panel-${panel} [data-action="rerecord"]`);
}

/**
 * The length the engine's own player reads from the take the page offers (its playback element
 * holds the very Blob the page sends), in seconds; 'Infinity' or 'NaN' when it reads none.
 */
export async function playbackDuration(page: EnginePage, panel: RecordingPanel): Promise<number | string> {
  return page.evaluate(`(async () => {
    const media = document.querySelector('#panel-${panel} .playback');
    if (media.readyState < 1) {
      await new Promise((resolve, reject) => {
        media.addEventListener('loadedmetadata', resolve, { once: true });
        media.addEventListener('error', () => reject(new Error('the take does not load')), { once: true });
      });
    }
    return Number.isFinite(media.duration) ? media.duration : String(media.duration);
  })()`) as Promise<number | string>;
}

/** The outbox's Send button, below the tabs: it sends whatever the tabs added. */
export const SEND = '#send';

/** Clicks Send and waits for "Sent!"; returns the size the page uploaded. */
export async function sendAndWait(page: EnginePage): Promise<number> {
  await page.click(SEND);
  await waitVisible(page, '#sent');
  return Number(await page.evaluate('document.getElementById("progress").max'));
}

export const errorText = (page: EnginePage) =>
  page.evaluate('document.getElementById("error").textContent') as Promise<string>;

const SEGMENT_ID = 0x18538067;
const INFO_ID = 0x1549a966;
const TIMECODE_SCALE_ID = 0x2ad7b1;
const DURATION_ID = 0x4489;

/** The Duration a WebM's Info holds, in milliseconds; undefined when it has none. */
export function webmDurationMs(bytes: Uint8Array): number | undefined {
  const header = readElement(bytes, 0);
  const segment = header?.end != null ? readElement(bytes, header.end) : null;
  if (segment?.id !== SEGMENT_ID) return undefined;
  for (let offset = segment.dataStart; ; ) {
    const child = readElement(bytes, offset);
    if (child?.end == null) return undefined;
    if (child.id === INFO_ID) {
      let scale = 1_000_000;
      let duration: number | undefined;
      for (let at = child.dataStart; at < child.end; ) {
        const field = readElement(bytes, at);
        if (field?.end == null) return undefined;
        const data = bytes.subarray(field.dataStart, field.end);
        const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
        if (field.id === TIMECODE_SCALE_ID) scale = data.reduce((value, byte) => value * 256 + byte, 0);
        if (field.id === DURATION_ID) duration = data.length === 4 ? view.getFloat32(0) : view.getFloat64(0);
        at = field.end;
      }
      return duration === undefined ? undefined : (duration * scale) / 1_000_000;
    }
    offset = child.end;
  }
}

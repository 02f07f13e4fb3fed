// Several files and a message in one submission, in the engines that send files (Chromium,
// Firefox ESR, WebKitGTK), through the real gateway and note-relay to the Freshdesk double: a bad
// third photo fails the whole submission with a message naming it and leaves the link usable;
// with it replaced, three photos and a voice message reach the ticket as ONE note with all four
// attachments and the customer's message; the link is used up afterwards.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshot } from '@uplink/dev-servers';
import { exeBytes, heicPhoto } from '@uplink/testing';
import {
  type DestinationDoubles,
  type NoteRelayHarness,
  noteRelayHarness,
  startDestinationDoubles,
} from '@uplink/testing/note-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChromium } from './chromium.ts';
import type { Engine } from './engine.ts';
import { openFirefox } from './firefox.ts';
import { errorText, expectClean, recordTake, SEND, selectTab, waitFor, waitVisible } from './flow.ts';
import { openWebKit } from './webkit.ts';

const ENGINES: Record<string, { open: () => Promise<Engine>; ticketId: number }> = {
  'Chromium desktop': { open: () => openChromium('desktop'), ticketId: 2001 },
  'Firefox ESR': { open: openFirefox, ticketId: 2002 },
  WebKitGTK: { open: openWebKit, ticketId: 2003 },
};

/** What the customer types for the agent: markup that must arrive as text, and a line break. */
const MESSAGE = 'The label is on the <b>back</b> & half torn.\nSerial ends in 42.';

let relay: NoteRelayHarness;
let freshdesk: DestinationDoubles['freshdesk'];
let fileDir: string;
const photos = { first: '', second: '', third: '', badThird: '' };

beforeAll(async () => {
  relay = await noteRelayHarness();
  ({ freshdesk } = await startDestinationDoubles(relay, {
    freshdesk: { tickets: Object.values(ENGINES).map(({ ticketId }) => ({ id: ticketId })) },
  }));
  fileDir = await mkdtemp(join(tmpdir(), 'uplink-submission-'));
  const png = await readFile(
    new URL('../../../../packages/testing/fixtures/photo-source.png', import.meta.url),
  );
  photos.first = join(fileDir, 'photo-1.png');
  photos.second = join(fileDir, 'photo-2.heic');
  photos.third = join(fileDir, 'photo-3.png');
  // The same name, but a program inside: the page takes it by its name, the gateway by its content.
  photos.badThird = join(fileDir, 'bad', 'photo-3.png');
  await writeFile(photos.first, png);
  await writeFile(photos.second, heicPhoto());
  await writeFile(photos.third, png);
  await mkdir(join(fileDir, 'bad'));
  await writeFile(photos.badThird, exeBytes());
}, 60_000);
afterAll(async () => {
  if (fileDir) await rm(fileDir, { recursive: true, force: true });
});

const itemCount = (count: number) => `document.querySelectorAll('#items .item').length === ${count}`;

describe.each(Object.entries(ENGINES))('a submission of several files in %s', (_, engineCase) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineCase.open();
  }, 90_000);
  afterAll(async () => {
    await engine?.close();
  });

  it('is refused whole for a bad third photo, then sent with it replaced: one note, four attachments, the message', async () => {
    const ticketId = engineCase.ticketId;
    const { linkId, token, url } = await relay.gateway.createLink({
      ticket: { provider: 'freshdesk', id: String(ticketId) },
      contextMessage: 'Photos of the label and a word about it, please.',
    });
    const page = await engine.open(url);
    try {
      await selectTab(page, 'file');
      for (const path of [photos.first, photos.second, photos.badThird])
        await page.setInputFile('#file-input', path);
      await waitFor(page, 'three photos in the list', itemCount(3));
      await selectTab(page, 'audio');
      await recordTake(page, 'audio', 1000);
      await waitFor(page, 'the voice message in the list', itemCount(4));
      await page.evaluate(`(() => {
        const field = document.getElementById('message');
        field.value = ${JSON.stringify(MESSAGE)};
        field.dispatchEvent(new Event('input', { bubbles: true }));
      })()`);
      expect(await page.evaluate('document.getElementById("send").textContent')).toBe('Send 4 files');
      await expectClean(page);
      await screenshot(page, `engine-${engine.name}-submission`);

      // All or nothing: the bad photo is named, marked, and the link stays usable.
      await page.click(SEND);
      await waitFor(page, 'the refusal', `document.getElementById('error').textContent !== ''`);
      expect(await errorText(page)).toMatch(
        /^Nothing was sent\. photo-3\.png: .+ Remove that file or replace it, then send again\.$/,
      );
      expect(
        await page.evaluate(
          `[...document.querySelectorAll('#items .item[data-state="rejected"] .item-name')].map((name) => name.textContent)`,
        ),
      ).toEqual(['photo-3.png']);
      expect(await relay.gateway.linkStatus(linkId)).toBe('pending');
      await screenshot(page, `engine-${engine.name}-submission-refused`);
      await expectClean(page);

      // Replaced, it goes through; the other three are not sent again (one intent each, and one
      // for the replacement).
      await page.click('#items .item[data-state="rejected"] [data-action="remove"]');
      await waitFor(page, 'the bad photo gone', itemCount(3));
      await selectTab(page, 'file');
      await page.setInputFile('#file-input', photos.third);
      await waitFor(page, 'the good photo in the list', itemCount(4));
      await page.click(SEND);
      await waitVisible(page, '#sent');
      await expectClean(page);
      const intents = await page.evaluate(
        `performance.getEntriesByType('resource').filter((entry) => entry.name.endsWith('/uploads')).length`,
      );
      expect(intents).toBe(5);

      const [note, ...more] = await freshdesk.waitForNotes(ticketId, 1, 15_000);
      expect(more).toEqual([]);
      expect(note?.attachments.map((attachment) => attachment.name)).toEqual([
        'photo-1.png',
        // The gateway names a photo after the type its content shows (this one's brands: HEIF).
        expect.stringMatching(/^photo-2\.hei[cf]$/),
        expect.stringMatching(/^voice-message-[\d-]+\.(webm|m4a|mp4)$/),
        'photo-3.png',
      ]);
      // The message as text: its markup escaped, nothing of it taken as HTML.
      expect(note?.body).toContain('The label is on the &lt;b&gt;back&lt;/b&gt; &amp; half torn.');
      expect(note?.json.body_text).toContain('Serial ends in 42.');

      // Single use: the page says so, and another submission cannot even begin.
      const reopened = await fetch(url);
      expect(reopened.status).toBe(410);
      expect(await reopened.text()).toContain('<h1 id="unavailable-heading">Link already used</h1>');
      const again = await relay.gateway.post(`/u/${token}/uploads`, {
        fileName: 'one-more.png',
        contentType: 'image/png',
        size: 6308,
        kind: 'file',
      });
      expect(again.status).toBe(410);
    } finally {
      await page.close();
    }
  });
});

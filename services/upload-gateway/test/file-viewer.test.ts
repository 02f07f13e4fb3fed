// The file viewer (/f/<token>): the page agents open from a note or a Flex entry. A share made
// with FileShareStore (as note-relay makes them) for a blob in the gateway's container; the page's
// player and download button get a fresh read SAS that serves the exact bytes.

import { randomBytes } from 'node:crypto';
import type { MediaCategory } from '@uplink/contracts';
import { randomId } from '@uplink/kit';
import type { FileShareStore } from '@uplink/store';
import { shareFile, type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { VIEW_SAS_MS } from '../src/routes/file-viewer.ts';

let gateway: UploadGatewayHarness;
let shares: FileShareStore;

beforeAll(async () => {
  gateway = await uploadGatewayHarness();
  shares = gateway.store.shares;
}, 60_000);

/** A blob in the gateway's container and a viewer link to it. */
const sharedFile = (
  file: { fileName: string; contentType: string; category: MediaCategory },
  options?: { ttlMs?: number; now?: Date; linkId?: string },
) => shareFile(gateway, shares, file, options);

/** An attribute's value as the browser reads it: the page escapes `&` and `'` in SAS URLs. */
function attribute(html: string, pattern: RegExp): string {
  const value = pattern.exec(html)?.[1];
  if (value === undefined) throw new Error(`${pattern} not in the page`);
  return value.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');
}

async function bytesAt(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('GET /f/:token', () => {
  it.each([
    [
      'audio',
      'voice-message.webm',
      'audio/webm',
      /<audio class="player" controls preload="metadata" src="([^"]+)"/,
    ],
    [
      'video',
      'video-message.mp4',
      'video/mp4',
      /<video class="player" controls playsinline preload="metadata" src="([^"]+)"/,
    ],
    ['image', 'label.png', 'image/png', /<img class="player" src="([^"]+)" alt="label.png">/],
  ] as const)(
    'shows %s inline with a fresh SAS that serves the exact bytes',
    async (category, fileName, contentType, player) => {
      const shared = await sharedFile({ fileName, contentType, category });
      const response = await fetch(shared.url);
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain(`<h2 id="file-name" class="file-name">${fileName}</h2>`);
      expect(html).toContain('Acme Support');
      expect(html).toContain('support.acme.test');
      const src = attribute(html, player);
      expect(src.startsWith(`${gateway.storageOrigin}/`)).toBe(true);
      expect(new URL(src).searchParams.get('sp')).toBe('r');
      expect((await bytesAt(src)).equals(shared.bytes)).toBe(true);
      const download = attribute(html, /<a class="button primary" href="([^"]+)"/);
      expect((await bytesAt(download)).equals(shared.bytes)).toBe(true);
    },
  );

  it('offers a document for download only, with no player', async () => {
    const shared = await sharedFile({
      fileName: 'invoice.pdf',
      contentType: 'application/pdf',
      category: 'document',
    });
    const html = await (await fetch(shared.url)).text();
    expect(html).toContain('<p class="file-facts">PDF · ');
    expect(html).not.toMatch(/<(audio|video|img)\b/);
    expect(html).toContain('There is no preview for this type of file.');
    const download = attribute(html, /<a class="button primary" href="([^"]+)"/);
    expect((await bytesAt(download)).equals(shared.bytes)).toBe(true);
  });

  it('makes a new SAS on each view, valid about ten minutes and never past the link', async () => {
    const shared = await sharedFile({ fileName: 'label.png', contentType: 'image/png', category: 'image' });
    const sasOf = async (url: string) =>
      new URL(attribute(await (await fetch(url)).text(), /<img class="player" src="([^"]+)"/));
    const before = Date.now();
    const first = await sasOf(shared.url);
    const expiry = Date.parse(first.searchParams.get('se') ?? '');
    expect(expiry).toBeGreaterThan(before + VIEW_SAS_MS - 60_000);
    expect(expiry).toBeLessThanOrEqual(Date.now() + VIEW_SAS_MS);

    const shortLived = await sharedFile(
      { fileName: 'label.png', contentType: 'image/png', category: 'image' },
      { ttlMs: 2 * 60_000 },
    );
    const capped = await sasOf(shortLived.url);
    expect(Date.parse(capped.searchParams.get('se') ?? '')).toBeLessThanOrEqual(before + 2 * 60_000 + 1_000);
  });

  it('answers with the page headers and a CSP that allows the storage origin for media only', async () => {
    const shared = await sharedFile({
      fileName: 'voice-message.webm',
      contentType: 'audio/webm',
      category: 'audio',
    });
    const response = await fetch(shared.url);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-robots-tag')).toBe('noindex, nofollow');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const storage = gateway.storageOrigin;
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      "script-src 'none'",
      "style-src 'self'",
      `img-src 'self' ${storage}`,
      `media-src ${storage}`,
      "connect-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
    expect(await response.text()).not.toMatch(/<script\b/);

    // The upload page keeps its own policy: nothing from storage but its uploads.
    const { url } = await gateway.createLink();
    const uploadCsp = (await fetch(url)).headers.get('content-security-policy') ?? '';
    expect(uploadCsp).toContain("img-src 'self';");
    expect(uploadCsp).toContain('media-src blob:;');
  });

  it('answers 404 for an unknown or malformed token', async () => {
    for (const token of [randomBytes(32).toString('base64url'), 'short', `${'a'.repeat(42)}~`]) {
      const response = await fetch(`${gateway.baseUrl}/f/${token}`);
      expect(response.status, token).toBe(404);
      const html = await response.text();
      expect(html).toContain('<h1 id="unavailable-heading">File link not found</h1>');
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('answers 410 and hands out no storage URL once the blob is not the verified one (replaced or gone)', async () => {
    // Files received before verified copies were kept where their upload SAS wrote them.
    const replaced = await sharedFile({ fileName: 'label.png', contentType: 'image/png', category: 'image' });
    await gateway.container
      .getBlockBlobClient(replaced.file.blobName)
      .uploadData(Buffer.from('MZ not an image'));
    const gone = await sharedFile({ fileName: 'label.png', contentType: 'image/png', category: 'image' });
    await gateway.storage.delete(gone.file.blobName);
    for (const shared of [replaced, gone]) {
      const response = await fetch(shared.url);
      expect(response.status).toBe(410);
      expect(await response.text()).not.toContain(gateway.storageOrigin);
    }
  });

  it('answers 410 once the link has expired', async () => {
    const shared = await sharedFile(
      { fileName: 'label.png', contentType: 'image/png', category: 'image' },
      { ttlMs: 60_000, now: new Date(Date.now() - 2 * 60_000) },
    );
    const response = await fetch(shared.url);
    expect(response.status).toBe(410);
    const html = await response.text();
    expect(html).toContain('<h1 id="unavailable-heading">File link expired</h1>');
    expect(html).not.toContain('label.png');
    expect(html).not.toContain(gateway.storageOrigin);
  });

  it('answers 410 for every viewer link of a link once revoked, at the next view', async () => {
    const linkId = randomId('lnk');
    const file = { fileName: 'clip.mp4', contentType: 'video/mp4', category: 'video' } as const;
    const first = await sharedFile(file, { linkId });
    const second = await sharedFile(file, { linkId });
    const unrelated = await sharedFile(file);
    expect((await fetch(first.url)).status).toBe(200);

    expect(await shares.revokeForLink(gateway.tenantId, linkId, new Date())).toBe(2);
    for (const shared of [first, second]) {
      const response = await fetch(shared.url);
      expect(response.status).toBe(410);
      expect(await response.text()).toContain('<h1 id="unavailable-heading">File link withdrawn</h1>');
    }
    expect((await fetch(unrelated.url)).status).toBe(200);
    expect(await shares.revokeForLink(gateway.tenantId, linkId, new Date())).toBe(0);
  });

  it('answers HEAD, and speaks German', async () => {
    const shared = await sharedFile({ fileName: 'label.png', contentType: 'image/png', category: 'image' });
    const head = await fetch(shared.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const german = await fetch(shared.url, { headers: { 'accept-language': 'de-DE,de;q=0.9' } });
    const html = await german.text();
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('>Herunterladen</a>');
    expect(html).toContain('An <span class="company">Acme Support</span> gesendete Datei');
  });

  it('keeps tokens out of the logs', async () => {
    const shared = await sharedFile({ fileName: 'label.png', contentType: 'image/png', category: 'image' });
    expect((await fetch(shared.url)).status).toBe(200);
    const logged = JSON.stringify(gateway.infra.logs);
    expect(logged).toContain(`/f/${shared.token.slice(0, 6)}`);
    expect(logged).not.toContain(shared.token);
  });

  it('is rate limited per client address, with a page to read', async () => {
    const limited = await uploadGatewayHarness({ ratePerMinute: 2, infra: gateway.infra });
    // In the limited gateway's own container: the viewer reads the file before it shows it.
    const shared = await shareFile(limited, shares, {
      fileName: 'label.png',
      contentType: 'image/png',
      category: 'image',
    });
    const url = `${limited.baseUrl}/f/${shared.token}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(url);
      statuses.push(response.status);
      if (i === 2) {
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await response.text()).toContain('Too many attempts');
      } else {
        await response.arrayBuffer();
      }
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});

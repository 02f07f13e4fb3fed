import { gunzipSync } from 'node:zlib';
import { defaultMediaPolicy, type MediaPolicy } from '@uplink/contracts';
import { MEDIA_TYPES } from '@uplink/contracts/media-types';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  type FileViewerView,
  negotiateLocale,
  pageAssets,
  registerPageAssets,
  renderFileUnavailablePage,
  renderFileViewerPage,
  renderRateLimitedPage,
  renderUnavailablePage,
  renderUploadPage,
  type UploadPageView,
} from './index.ts';
import { de } from './messages/de.ts';
import { en } from './messages/en.ts';

const view = (overrides: Partial<UploadPageView> = {}): UploadPageView => ({
  locale: 'en',
  companyName: 'Acme Support',
  supportDomain: 'support.acme.test',
  policy: defaultMediaPolicy(),
  linkExpiresAt: new Date('2030-05-01T12:00:00Z'),
  ...overrides,
});

function policyWith(change: (policy: MediaPolicy) => void): MediaPolicy {
  const policy = defaultMediaPolicy();
  change(policy);
  return policy;
}

const tabsOf = (html: string) => [...html.matchAll(/role="tab" id="tab-(\w+)"/g)].map((match) => match[1]);
const scriptsOf = (html: string) => [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);

describe('negotiateLocale', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['de', 'de'],
    ['de-CH,de;q=0.9,en;q=0.8', 'de'],
    ['fr-FR, de;q=0.7, en;q=0.8', 'fr'],
    ['ja, de;q=0.7, en;q=0.8', 'en'],
    ['sv;q=0.9, de-AT;q=0.5', 'de'],
    ['fr-CA', 'fr'],
    ['es-MX,es;q=0.9', 'es'],
    ['pt-BR', 'pt-BR'],
    ['pt-PT,pt;q=0.9,en;q=0.5', 'pt-BR'],
    ['it-IT', 'it'],
    ['nl-BE,fr-BE;q=0.8', 'nl'],
    ['en-US,en;q=0.9,de;q=0.8', 'en'],
    ['de;q=0, en', 'en'],
    ['*', 'en'],
    ['ja', 'en'],
  ])('%j -> %s', (header, locale) => {
    expect(negotiateLocale(header)).toBe(locale);
  });
});

describe('renderUploadPage', () => {
  it('escapes everything tenants and agents write', () => {
    const html = renderUploadPage(
      view({
        companyName: '<img src=x onerror=alert(1)>',
        supportDomain: '"><script>alert(2)</script>',
        contextMessage: '</script><script>alert(3)</script>\nsecond line',
      }),
    );
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;\nsecond line');
  });

  it('runs no inline script: one script file and one JSON element', () => {
    const html = renderUploadPage(view());
    const scripts = scriptsOf(html);
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toBe(`<script type="module" src="${pageAssets().script}">`);
    expect(scripts[1]).toBe('<script type="application/json" id="uplink-config">');
    const config = JSON.parse(
      html.split('<script type="application/json" id="uplink-config">')[1]?.split('</script>')[0] ?? '',
    );
    expect(config.locale).toBe('en');
    expect(config.messages).toEqual(en.client);
    expect(config.segmentationBase).toMatch(/^\/assets\/segmentation-[\w.-]+\/$/);
  });

  it('shows the heading with company and support domain, and the context message as a callout', () => {
    const html = renderUploadPage(view({ contextMessage: 'A photo of the label, please' }));
    expect(html).toContain(
      '<h1>Secure file request from <span class="company">Acme Support</span> <span class="domain">· support.acme.test</span></h1>',
    );
    expect(html).toContain(
      'aria-label="Message from Acme Support"><p>A photo of the label, please</p></aside>',
    );
    expect(renderUploadPage(view({ supportDomain: null }))).not.toContain('class="domain"');
    expect(renderUploadPage(view())).not.toContain('class="callout"');
  });

  it('offers the tabs the policy allows, and accepts only allowed types', () => {
    const all = renderUploadPage(view());
    expect(tabsOf(all)).toEqual(['audio', 'video', 'screen', 'file']);
    // Hidden until the script finds the browser can share a screen.
    expect(all).toMatch(/<button [^>]*id="tab-screen"[^>]* hidden>Screen<\/button>/);
    const noAudio = policyWith((policy) => {
      policy.categories.audio.allowed = false;
    });
    expect(tabsOf(renderUploadPage(view({ policy: noAudio })))).toEqual(['video', 'screen', 'file']);
    const noVideo = policyWith((policy) => {
      policy.categories.video.allowed = false;
    });
    expect(tabsOf(renderUploadPage(view({ policy: noVideo })))).toEqual(['audio', 'file']);
    const imagesOnly = policyWith((policy) => {
      for (const category of Object.values(policy.categories)) category.allowed = false;
      policy.categories.image = { allowed: true, maxBytes: 5 * 1024 * 1024 };
    });
    const html = renderUploadPage(view({ policy: imagesOnly }));
    expect(tabsOf(html)).toEqual(['file']);
    const accept = /accept="([^"]*)"/.exec(html)?.[1] ?? '';
    expect(accept).toContain('image/png');
    expect(accept).not.toContain('application/pdf');
    expect(html).toContain('Largest file: 5 MB.');
    expect(html).toContain('"limits":{"image":5242880}');
  });

  it('shows the tenant message instead of the tabs when receiving is off', () => {
    const off = policyWith((policy) => {
      policy.receiveEnabled = false;
      policy.disabledMessage = 'Please call us instead.';
    });
    const html = renderUploadPage(view({ policy: off }));
    expect(tabsOf(html)).toEqual([]);
    expect(html).toContain('<p>Please call us instead.</p>');
    expect(scriptsOf(html)).toEqual([]);
    const noMessage = policyWith((policy) => {
      policy.receiveEnabled = false;
    });
    expect(renderUploadPage(view({ policy: noMessage }))).toContain(
      'Acme Support is not accepting files at the moment.',
    );
  });

  it('speaks German', () => {
    const html = renderUploadPage(view({ locale: 'de' }));
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('Sichere Dateianfrage von <span class="company">Acme Support</span>');
    expect(html).toContain('>Datei</button>');
    expect(html).toContain('"messages":{"recording":"Aufnahme läuft…"');
  });

  it.each([
    ['fr', 'Demande de fichier sécurisée de', 'Fichier', 'Enregistrement en cours…'],
    ['es', 'Solicitud segura de archivo de', 'Archivo', 'Grabando…'],
    ['pt-BR', 'Solicitação segura de arquivo de', 'Arquivo', 'Gravando…'],
    ['it', 'Richiesta sicura di file da', 'File', 'Registrazione in corso…'],
    ['nl', 'Beveiligd bestandsverzoek van', 'Bestand', 'Bezig met opnemen…'],
  ] as const)('speaks %s', (locale, heading, fileTab, recording) => {
    const html = renderUploadPage(view({ locale }));
    expect(html).toContain(`<html lang="${locale}">`);
    expect(html).toContain(`${heading} <span class="company">Acme Support</span>`);
    expect(html).toContain(`>${fileTab}</button>`);
    expect(html).toContain(`"messages":{"recording":"${recording}"`);
  });

  it('names file types in the page language where the name is not the same everywhere', () => {
    const documents = (locale: 'en' | 'de') => {
      const hint = /id="file-hint">([^<]*)</.exec(renderUploadPage(view({ locale })))?.[1] ?? '';
      return /\(([^)]*OpenDocument[^)]*)\)/.exec(hint)?.[1];
    };
    expect(documents('de')).toBe(
      'PDF, Word, Excel, PowerPoint, OpenDocument-Text, OpenDocument-Tabelle, OpenDocument-Präsentation, Nur-Text, CSV',
    );
    expect(documents('en')).toBe(
      'PDF, Word, Excel, PowerPoint, OpenDocument text, OpenDocument spreadsheet, OpenDocument presentation, Text, CSV',
    );
    const de = renderUploadPage(view({ locale: 'de' }));
    expect(de).toContain('Erlaubt: Audio (MP3, WAV, OGG, M4A, WebM); Video (MP4,');
    expect(de).toContain('; Bilder (JPEG,');
    expect(de).not.toContain('OpenDocument text');
  });

  it('translates only types the contracts list', () => {
    const mimes = new Set(Object.values(MEDIA_TYPES).flatMap((types) => types.map((type) => type.mime)));
    for (const messages of [en, de]) {
      for (const mime of Object.keys(messages.file.typeLabels)) expect(mimes, mime).toContain(mime);
    }
  });
});

describe('renderUnavailablePage', () => {
  it.each(['not_found', 'expired', 'used', 'revoked'] as const)(
    '%s says which and what to do, and nothing else',
    (reason) => {
      for (const [locale, messages] of [
        ['en', en],
        ['de', de],
      ] as const) {
        const html = renderUnavailablePage(locale, reason);
        expect(html).toContain(`<h1 id="unavailable-heading">${messages.unavailable[reason].title}</h1>`);
        expect(html).toContain(messages.unavailable.askAgent);
        expect(scriptsOf(html)).toEqual([]);
      }
    },
  );
});

describe('renderFileViewerPage', () => {
  const viewer = (overrides: Partial<FileViewerView> = {}): FileViewerView => ({
    locale: 'en',
    companyName: 'Acme Support',
    supportDomain: 'support.acme.test',
    file: { fileName: 'label.png', contentType: 'image/png', category: 'image', size: 2048 },
    fileUrl: 'https://acct.blob.core.windows.net/uploads/t/u?sv=1&sig=abc',
    downloadUrl: 'https://acct.blob.core.windows.net/uploads/t/u?sv=1&rscd=attachment&sig=def',
    linkExpiresAt: new Date('2030-05-01T12:00:00Z'),
    ...overrides,
  });

  it('escapes the file name and the URL, and runs no script', () => {
    const html = renderFileViewerPage(
      viewer({
        companyName: '<b>Acme</b>',
        file: {
          fileName: '"><script>alert(1)</script>.png',
          contentType: 'image/png',
          category: 'image',
          size: 10,
        },
      }),
    );
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<b>Acme</b>');
    expect(html).toContain('alt="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;.png"');
    expect(html).toContain('src="https://acct.blob.core.windows.net/uploads/t/u?sv=1&amp;sig=abc"');
    expect(scriptsOf(html)).toEqual([]);
  });

  it('picks the preview by category: audio, video, image, or none', () => {
    const of = (category: FileViewerView['file']['category'], contentType: string) =>
      renderFileViewerPage(viewer({ file: { fileName: 'f', contentType, category, size: 1 } }));
    expect(of('audio', 'audio/mpeg')).toMatch(/<audio class="player" controls/);
    expect(of('video', 'video/mp4')).toMatch(/<video class="player" controls playsinline/);
    expect(of('image', 'image/png')).toMatch(/<img class="player" src=/);
    // No browser but Safari shows HEIC, and the viewer has no script to fall back with.
    const heic = of('image', 'image/heic');
    expect(heic).not.toMatch(/<img\b/);
    expect(heic).toContain(en.viewer.noPreview);
    expect(heic).toContain('<p class="file-facts">HEIC · 1 byte</p>');
    const archive = of('archive', 'application/zip');
    expect(archive).not.toMatch(/<(audio|video|img)\b/);
    expect(archive).toContain(en.viewer.noPreview);
    expect(archive).toContain('<p class="file-facts">ZIP · 1 byte</p>');
  });
});

describe('renderFileUnavailablePage', () => {
  it.each(['not_found', 'expired', 'revoked'] as const)('%s says which, in the page language', (reason) => {
    for (const [locale, messages] of [
      ['en', en],
      ['de', de],
    ] as const) {
      const html = renderFileUnavailablePage(locale, reason);
      expect(html).toContain(`<h1 id="unavailable-heading">${messages.fileUnavailable[reason].title}</h1>`);
      expect(html).toContain(messages.fileUnavailable.askCustomer);
      expect(scriptsOf(html)).toEqual([]);
    }
  });
});

describe('renderRateLimitedPage', () => {
  it('asks the customer to wait a minute and reload, in their language, with no script', () => {
    for (const [locale, messages] of [
      ['en', en],
      ['de', de],
    ] as const) {
      const html = renderRateLimitedPage(locale);
      expect(html).toContain(`<html lang="${locale}">`);
      expect(html).toContain(`<h1 id="rate-limited-heading">${messages.rateLimited.title}</h1>`);
      expect(html).toContain(`<p>${messages.rateLimited.body}</p>`);
      expect(scriptsOf(html)).toEqual([]);
    }
    expect(renderRateLimitedPage('en')).toContain('Please wait a minute, then reload it.');
    expect(renderRateLimitedPage('de')).toContain('Bitte warten Sie eine Minute und laden Sie sie dann neu.');
  });
});

describe('contentSecurityPolicy', () => {
  it('allows our own scripts and wasm, the storage origin for uploads, and nothing inline', () => {
    const csp = contentSecurityPolicy('http://127.0.0.1:10000/devstoreaccount1');
    expect(csp).toBe(
      "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; " +
        "media-src blob:; connect-src 'self' http://127.0.0.1:10000; base-uri 'none'; form-action 'none'; " +
        "frame-ancestors 'none'",
    );
    expect(csp).not.toMatch(/unsafe-inline|'unsafe-eval'/);
    expect(contentSecurityPolicy('https://acct.blob.core.windows.net')).toContain(
      "connect-src 'self' https://acct.blob.core.windows.net;",
    );
  });

  it('lets only the file viewer show media from the storage origin, with no script', () => {
    const csp = contentSecurityPolicy('https://acct.blob.core.windows.net/uploads', { fileViewer: true });
    expect(csp).toBe(
      "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' https://acct.blob.core.windows.net; " +
        "media-src https://acct.blob.core.windows.net; connect-src 'none'; base-uri 'none'; form-action 'none'; " +
        "frame-ancestors 'none'",
    );
  });

  it('lets the configured helpdesks frame the file viewer, and never the upload page', () => {
    const viewerFrameAncestors = ['https://flex.twilio.com', 'https://*.freshdesk.com'];
    const storage = 'https://acct.blob.core.windows.net';
    expect(contentSecurityPolicy(storage, { fileViewer: true, viewerFrameAncestors })).toMatch(
      /; frame-ancestors https:\/\/flex\.twilio\.com https:\/\/\*\.freshdesk\.com$/,
    );
    expect(contentSecurityPolicy(storage, { viewerFrameAncestors })).toMatch(/; frame-ancestors 'none'$/);
    expect(contentSecurityPolicy(storage, { fileViewer: true, viewerFrameAncestors: [] })).toMatch(
      /; frame-ancestors 'none'$/,
    );
  });
});

describe('registerPageAssets', () => {
  async function assetServer() {
    const app = Fastify();
    await registerPageAssets(app);
    return app;
  }

  it('serves the script and stylesheet compressed, immutable and nosniff; HEAD too', async () => {
    const app = await assetServer();
    const { script, style } = pageAssets();
    const js = await app.inject({ url: script, headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect(gunzipSync(js.rawPayload).toString('utf8')).toContain('uplink-config');
    const css = await app.inject({ url: style, headers: { 'accept-encoding': 'br;q=1, gzip;q=0.5' } });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['content-encoding']).toBe('br');
    const plain = await app.inject({ url: style, headers: { 'accept-encoding': 'br;q=0' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    const head = await app.inject({ method: 'HEAD', url: script });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    await app.close();
  });

  it('serves the segmentation model and wasm from our origin', async () => {
    const app = await assetServer();
    const base = pageAssets().segmentationBase;
    const wasm = await app.inject({ url: `${base}selfie_segmentation_solution_simd_wasm_bin.wasm` });
    expect(wasm.statusCode).toBe(200);
    expect(wasm.headers['content-type']).toBe('application/wasm');
    expect(wasm.rawPayload.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    const model = await app.inject({ method: 'HEAD', url: `${base}selfie_segmentation_landscape.tflite` });
    expect(model.statusCode).toBe(200);
    await app.close();
  });

  it('answers 404 for anything it did not build or allow', async () => {
    const app = await assetServer();
    const base = pageAssets().segmentationBase;
    for (const url of [
      '/assets/nope.js',
      `${base}package.json`,
      `${base}../../package.json`,
      `${base}%2e%2e/%2e%2e/package.json`,
      '/assets/',
    ]) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
    await app.close();
  });

  // 12.5 kB before several files per submission, the resume after a closed tab and the blocks
  // paced to the link; 16.7 kB with them. What could replace the hand-written uploader weighs
  // more on its own (Azure's browser SDK upload: 111 kB gzipped; tus-js-client: 16.3 kB, and it
  // needs a tus server), so the budget grew with the features rather than the page with a library.
  it('keeps the page small: script and stylesheet under 18 kB gzipped', () => {
    const { payload } = pageAssets();
    expect(payload.gzipBytes).toBeLessThan(18 * 1024);
    expect(payload.rawBytes).toBeLessThan(50 * 1024);
  });
});

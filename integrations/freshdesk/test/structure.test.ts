// The checks Freshworks' `fdk validate` and its review make, as the SDK documents them, on the
// app exactly as `npm run freshdesk-app` packages it (fdk itself is not on the npm registry).
import { describe, expect, it } from 'vitest';
import { buildAppFiles } from '../build/build-app.ts';

const files = buildAppFiles();
const text = (path: string): string => {
  const data = files.get(path);
  if (!data) throw new Error(`the app has no ${path}`);
  return data.toString('utf8');
};
const json = (path: string): Record<string, unknown> => JSON.parse(text(path)) as Record<string, unknown>;

type Placement = { url?: unknown; icon?: unknown };
type Template = {
  schema: {
    method?: unknown;
    protocol?: unknown;
    host?: unknown;
    path?: unknown;
    headers?: Record<string, string>;
    query?: Record<string, string>;
  };
  options?: Record<string, unknown>;
};
type Iparam = { display_name?: unknown; type?: unknown; secure?: unknown };

const manifest = json('manifest.json') as {
  'platform-version'?: unknown;
  modules?: {
    common?: { requests?: Record<string, unknown> };
    support_ticket?: { location?: Record<string, Placement> };
  };
  engines?: { node?: unknown; fdk?: unknown };
};
const requests = json('config/requests.json') as Record<string, Template>;
const iparams = json('config/iparams.json') as Record<string, Iparam>;
const pages = [...files.keys()].filter((path) => path.endsWith('.html'));
const scripts = [...files.keys()].filter((path) => path.endsWith('.js'));
const styles = [...files.keys()].filter((path) => path.endsWith('.css'));

/** Placements of the support_ticket module in Freshdesk (SDK 3.0, front-end apps). */
const TICKET_PLACEMENTS = new Set([
  'ticket_sidebar',
  'ticket_conversation_editor',
  'ticket_attachment',
  'ticket_requester_info',
  'ticket_top_navigation',
  'ticket_background',
  'new_ticket_requester_info',
  'new_ticket_sidebar',
  'new_ticket_background',
]);
const IPARAM_TYPES = new Set([
  'text',
  'paragraph',
  'dropdown',
  'number',
  'checkbox',
  'radio',
  'multiselect',
  'date',
  'email',
  'url',
  'phone_number',
  'api_key',
  'domain',
]);
const IPARAM_REFERENCE = /<%=\s*iparam\.([A-Za-z0-9_]+)\s*%>/g;
const secureIparams = Object.entries(iparams)
  .filter(([, param]) => param.secure === true)
  .map(([name]) => name);

describe('the Freshdesk app', () => {
  it('is a platform 3.0 app with the engines fdk needs', () => {
    expect(manifest['platform-version']).toBe('3.0');
    expect(manifest.engines?.node).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.engines?.fdk).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('shows in the reply editor and the ticket sidebar, each placement with a page and an SVG icon present in app/', () => {
    const location = manifest.modules?.support_ticket?.location ?? {};
    expect(Object.keys(location).sort()).toEqual(['ticket_conversation_editor', 'ticket_sidebar']);
    for (const [name, placement] of Object.entries(location)) {
      expect(TICKET_PLACEMENTS.has(name), name).toBe(true);
      expect(typeof placement.url, name).toBe('string');
      expect(files.has(`app/${String(placement.url)}`), `${name}'s page`).toBe(true);
      expect(String(placement.icon), name).toMatch(/\.svg$/);
      expect(text(`app/${String(placement.icon)}`)).toMatch(/^<svg[\s>]/);
    }
  });

  it('declares in the manifest exactly the request templates requests.json defines', () => {
    expect(Object.keys(manifest.modules?.common?.requests ?? {}).sort()).toEqual(
      Object.keys(requests).sort(),
    );
    expect(Object.keys(requests).length).toBeGreaterThan(0);
  });

  it('gives every template a method, a bare host and a path starting with /, over https', () => {
    for (const [name, { schema }] of Object.entries(requests)) {
      expect(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], name).toContain(schema.method);
      expect(schema.protocol ?? 'https', name).toBe('https');
      // A host is a domain name: no scheme, port, path, query, credentials or encoded characters.
      const host = String(schema.host).replace(IPARAM_REFERENCE, 'example');
      expect(host, name).toMatch(
        /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/,
      );
      expect(String(schema.path), name).toMatch(/^\//);
      expect(String(schema.path), name).not.toMatch(/[?#]/);
    }
  });

  it('defines every installation parameter the templates use, with a known type', () => {
    for (const [name, param] of Object.entries(iparams)) {
      expect(IPARAM_TYPES.has(String(param.type)), name).toBe(true);
      expect(typeof param.display_name, name).toBe('string');
    }
    const used = [...text('config/requests.json').matchAll(IPARAM_REFERENCE)].map((match) => match[1]);
    for (const name of used) expect(Object.keys(iparams), `iparam.${name}`).toContain(name);
  });

  it('keeps the integration key secure and uses secure parameters only in template headers', () => {
    expect(secureIparams).toEqual(['integration_key']);
    for (const [name, { schema, options }] of Object.entries(requests)) {
      const { headers = {}, ...outsideHeaders } = schema;
      for (const secure of secureIparams) {
        const reference = new RegExp(`iparam\\.${secure}\\b`);
        expect(JSON.stringify(outsideHeaders), `${name}'s schema outside its headers`).not.toMatch(reference);
        expect(JSON.stringify(options ?? {}), `${name}'s options`).not.toMatch(reference);
        // Header names are not templated; only values carry it.
        for (const header of Object.keys(headers)) expect(header).not.toMatch(reference);
      }
    }
    expect(JSON.stringify(requests.createAgentSession?.schema.headers)).toMatch(/iparam\.integration_key/);
  });

  it('makes no link with the integration key: the pages make them as the agent, so Uplink records who did', () => {
    for (const [name, { schema }] of Object.entries(requests)) {
      expect(`${String(schema.method)} ${String(schema.path)}`, name).not.toMatch(/^POST \/v1\/links\b/);
    }
  });

  it('never asks the browser for a secure parameter', () => {
    for (const path of [...pages, ...scripts]) {
      for (const secure of secureIparams) expect(text(path), path).not.toContain(secure);
    }
  });

  it('loads the platform client first on every page, and scripts and styles only from the app itself, none inline', () => {
    expect(pages.sort()).toEqual(['app/editor.html', 'app/modal.html', 'app/sidebar.html']);
    for (const page of pages) {
      const html = text(page);
      const scriptTags = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)];
      expect(scriptTags.length, page).toBeGreaterThan(1);
      expect(scriptTags[0]?.[1], page).toMatch(/\ssrc="\{\{\{appclient\}\}\}"/);
      for (const [, attributes = '', body = ''] of scriptTags) {
        expect(body.trim(), `${page}: inline script`).toBe('');
        const src = /\ssrc="([^"]*)"/.exec(attributes)?.[1];
        expect(src, `${page}: a script without src`).toBeDefined();
        if (src !== '{{{appclient}}}') expect(files.has(`app/${src}`), `${page} loads ${src}`).toBe(true);
      }
      for (const [, href = ''] of html.matchAll(/<link\b[^>]*\shref="([^"]*)"/gi)) {
        expect(files.has(`app/${href}`), `${page} links ${href}`).toBe(true);
      }
      // No event handler attributes, javascript: URLs, inline styles or third-party resources.
      expect(html, page).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html, page).not.toMatch(/javascript:/i);
      expect(html, page).not.toMatch(/<style\b|\sstyle\s*=/i);
      expect(html, page).not.toMatch(/(?:src|href)="(?:https?:)?\/\//i);
    }
  });

  it('runs no code from strings and pulls nothing from a CDN', () => {
    for (const script of scripts) {
      const code = text(script);
      expect(code, script).not.toMatch(/\beval\s*\(/);
      expect(code, script).not.toMatch(/\bnew\s+Function\s*\(/);
      expect(code, script).not.toMatch(/\bimportScripts\s*\(|\bimport\s*\(/);
      expect(code, script).not.toMatch(/set(?:Timeout|Interval)\(\s*["'`]/);
      expect(code, script).not.toMatch(/\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write/);
      expect(code, script).not.toMatch(/createElement\(\s*["']script["']\s*\)/);
    }
    for (const style of styles) {
      expect(text(style), style).not.toMatch(/@import|url\(\s*["']?(?:https?:)?\/\//i);
    }
  });
});

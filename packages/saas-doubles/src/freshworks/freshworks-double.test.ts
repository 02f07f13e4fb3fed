import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../loopback.ts';
import { readFreshworksApp } from './app-folder.ts';
import {
  FRESHWORKS_REQUESTS_PER_MINUTE,
  type FreshworksDouble,
  startFreshworksDouble,
} from './freshworks-double.ts';

const FIXTURE_APP = fileURLToPath(new URL('./fixture-app/', import.meta.url));
const SECRET = 'fixture-secure-api-key-0123456789';
const API_HOST = 'api.fixture.example';

type Seen = { method: string; url: string; headers: IncomingHttpHeaders; body: string };
const seen: Seen[] = [];
const upstream = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  seen.push({
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    body: Buffer.concat(chunks).toString(),
  });
  const status = req.url?.startsWith('/echo/') ? 201 : req.url === '/flaky' ? 503 : 404;
  res.writeHead(status, { 'content-type': 'application/json', 'x-upstream': 'yes' });
  res.end(JSON.stringify({ status }));
});

let double: FreshworksDouble;

beforeAll(async () => {
  const upstreamOrigin = await listenOnLoopback(upstream);
  double = await startFreshworksDouble({
    appFolder: FIXTURE_APP,
    iparams: { api_host: API_HOST, api_key: SECRET, greeting: 'Hello from the iparams' },
    hosts: { [API_HOST]: upstreamOrigin },
    ticket: { id: 1001, subject: 'The printer is on fire' },
    editorText: 'Hi Sam, thanks for writing in.',
    appName: 'Fixture',
  });
});

afterAll(async () => {
  await double?.stop();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe('request templates, run on the server as Freshworks runs them', () => {
  it('substitutes iparams and context, puts the secure iparam in the header only, and answers {status, headers, response}', async () => {
    const before = seen.length;
    const outcome = await double.invokeTemplate('echo', {
      context: { ticket_id: 1001 },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(outcome).toEqual({
      ok: true,
      value: {
        status: 201,
        headers: expect.objectContaining({ 'content-type': 'application/json', 'x-upstream': 'yes' }),
        response: '{"status":201}',
      },
    });
    expect(seen.slice(before)).toEqual([
      {
        method: 'POST',
        url: '/echo/1001?source=fixture&greeting=Hello+from+the+iparams',
        headers: expect.objectContaining({
          authorization: `Bearer ${SECRET}`,
          'content-type': 'application/json',
        }),
        body: '{"hello":"world"}',
      },
    ]);
    expect(double.invocations.at(-1)).toEqual({
      name: 'echo',
      location: null,
      request: `POST ${API_HOST}/echo/1001?source=fixture&greeting=Hello+from+the+iparams`,
      status: 201,
      refused: null,
    });
  });

  it("rejects with the upstream's answer and errorSource APP when it is not 2xx", async () => {
    const outcome = await double.invokeTemplate('failing');
    expect(outcome).toEqual({
      ok: false,
      error: {
        status: 404,
        headers: expect.objectContaining({ 'x-upstream': 'yes' }),
        response: '{"status":404}',
        errorSource: 'APP',
        attempts: 1,
      },
    });
  });

  it('retries 5xx as the template options say, and no more', async () => {
    const before = seen.length;
    const outcome = await double.invokeTemplate('retried');
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ status: 503, attempts: 2 });
    expect(seen.slice(before).map(({ url }) => url)).toEqual(['/flaky', '/flaky']);
  });

  const refusals: [template: string, options: object, status: number, response: string, why: RegExp][] = [
    ['undeclared', {}, 404, 'Request template not found', /not declared in the manifest/],
    ['nonexistent', {}, 404, 'Request template not found', /no template nonexistent/],
    ['secureInPath', {}, 400, 'Error while substituting the templates', /secure iparam api_key used in path/],
    [
      'secureInQuery',
      {},
      400,
      'Error while substituting the templates',
      /secure iparam api_key used in query/,
    ],
    [
      'contextInHost',
      { context: { host: API_HOST } },
      400,
      'Error while substituting the templates',
      /context\.host used in host/,
    ],
    ['hostWithPort', {}, 400, 'runtime validation failed.', /host api\.fixture\.example:8443/],
    ['hostWithPath', {}, 400, 'runtime validation failed.', /host api\.fixture\.example\/v1/],
    ['plainHttp', {}, 400, 'runtime validation failed.', /asks for http/],
    ['unsupportedContentType', {}, 415, 'Unsupported content type', /multipart\/form-data/],
    ['echo', {}, 400, 'Error while substituting the templates', /context\.ticket_id is missing/],
    [
      'echo',
      { context: { ticket_id: '../admin' } },
      400,
      'runtime validation failed.',
      /path \/echo\/\.\.\/admin/,
    ],
    ['echo', { context: { ticket_id: '1?x=1' } }, 400, 'runtime validation failed.', /path/],
    [
      'echo',
      { context: { ticket_id: 1 }, body: { not: 'a string' } },
      400,
      'runtime validation failed.',
      /body/,
    ],
  ];
  it.each(refusals)(
    'refuses %s %j: %i %s, and sends nothing',
    async (template, options, status, response, why) => {
      const before = seen.length;
      const outcome = await double.invokeTemplate(template, options);
      expect(outcome).toEqual({
        ok: false,
        error: { status, headers: {}, response, errorSource: 'APP', attempts: 0 },
      });
      expect(double.invocations.at(-1)?.refused).toMatch(why);
      expect(seen.length).toBe(before);
    },
  );

  it('cannot connect to a host it was not given (502, from the platform)', async () => {
    const outcome = await double.invokeTemplate('unknownHost');
    expect(outcome).toEqual({
      ok: false,
      error: {
        status: 502,
        headers: {},
        response: 'Error in establishing connection',
        errorSource: 'PLATFORM',
        attempts: 1,
      },
    });
  });

  it(`answers 429 past ${FRESHWORKS_REQUESTS_PER_MINUTE} requests in a minute`, async () => {
    // A double of its own, so the other tests' requests do not count.
    const fresh = await startFreshworksDouble({
      appFolder: FIXTURE_APP,
      iparams: { api_host: API_HOST, api_key: SECRET },
      hosts: { [API_HOST]: `http://127.0.0.1:${(upstream.address() as { port: number }).port}` },
      ticket: { id: 1, subject: 'Rate' },
    });
    try {
      for (let sent = 0; sent < FRESHWORKS_REQUESTS_PER_MINUTE; sent += 1) {
        expect((await fresh.invokeTemplate('echo', { context: { ticket_id: sent } })).ok).toBe(true);
      }
      const over = await fresh.invokeTemplate('echo', { context: { ticket_id: 0 } });
      expect(over.ok ? undefined : over.error).toMatchObject({ status: 429, errorSource: 'APP' });
    } finally {
      await fresh.stop();
    }
  });
});

describe('the ticket page and the app origin', () => {
  it('serves the ticket view with the non-secure iparams only', async () => {
    const response = await fetch(double.ticketUrl);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Hi Sam, thanks for writing in.');
    expect(html).toContain('Hello from the iparams');
    expect(html).toContain(JSON.stringify(double.appOrigin));
    expect(html).not.toContain(SECRET);
    expect(html).not.toContain('api_key');
  });

  it("serves the app's own files, with {{{appclient}}} replaced by the double's client script", async () => {
    const page = await (await fetch(`${double.appOrigin}/app/sidebar.html`)).text();
    const client = `${double.appOrigin}/__fw/appclient.js?host=${encodeURIComponent(double.hostOrigin)}`;
    expect(page).toContain(`<script src="${client}"></script>`);
    expect(page).not.toContain('{{{appclient}}}');
    const script = await fetch(client);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('initialized()');
    const icon = await fetch(`${double.appOrigin}/app/icon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
  });

  it("serves nothing outside app/: not the config with the iparams' declarations, not the manifest", async () => {
    for (const path of [
      '/app/../config/requests.json',
      '/app/%2e%2e/config/iparams.json',
      '/manifest.json',
      '/app/',
    ]) {
      expect((await fetch(`${double.appOrigin}${path}`)).status, path).toBe(404);
    }
  });

  it('runs request templates only for the ticket page itself (its Origin)', async () => {
    const call = { name: 'echo', context: { ticket_id: 1 } };
    const post = (origin: string | undefined) =>
      fetch(`${double.hostOrigin}/__fw/invoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
        body: JSON.stringify(call),
      });
    expect((await post(double.appOrigin)).status).toBe(403);
    expect((await post(undefined)).status).toBe(403);
    const answered = await post(double.hostOrigin);
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ ok: true, value: { status: 201 } });
  });
});

describe('reading the app folder', () => {
  async function variant(change: (files: Record<string, Record<string, unknown>>) => void): Promise<string> {
    const folder = await mkdtemp(join(tmpdir(), 'fw-app-'));
    await cp(FIXTURE_APP, folder, { recursive: true });
    const files: Record<string, Record<string, unknown>> = {};
    for (const file of ['manifest.json', 'config/requests.json', 'config/iparams.json']) {
      files[file] = JSON.parse(await readFile(join(folder, file), 'utf8'));
    }
    change(files);
    for (const [file, json] of Object.entries(files))
      await writeFile(join(folder, file), JSON.stringify(json));
    return folder;
  }

  function echoSchema(files: Record<string, Record<string, unknown>>): Record<string, unknown> {
    const requests = files['config/requests.json'] as { echo: { schema: Record<string, unknown> } };
    return requests.echo.schema;
  }

  const broken: [string, (files: Record<string, Record<string, unknown>>) => void, RegExp][] = [
    [
      'a request the manifest declares but requests.json does not define',
      (files) => {
        delete files['config/requests.json']?.echo;
      },
      /declares request echo/,
    ],
    [
      'a path not starting with /',
      (files) => {
        echoSchema(files).path = 'echo';
      },
      /schema\/path must start with '\/'/,
    ],
    [
      'a method the platform does not send',
      (files) => {
        echoSchema(files).method = 'HEAD';
      },
      /schema\/method/,
    ],
    [
      'a platform version other than 3.0',
      (files) => {
        if (files['manifest.json']) files['manifest.json']['platform-version'] = '2.3';
      },
      /platform-version/,
    ],
  ];
  it.each(broken)('refuses an app with %s', async (_what, change, error) => {
    const folder = await variant(change);
    try {
      await expect(readFreshworksApp(folder)).rejects.toThrow(error);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('refuses an installation without a required iparam, or with one the app does not declare', async () => {
    const common = { appFolder: FIXTURE_APP, hosts: {}, ticket: { id: 1, subject: 'x' } };
    await expect(startFreshworksDouble({ ...common, iparams: { api_host: API_HOST } })).rejects.toThrow(
      /required iparam api_key/,
    );
    await expect(
      startFreshworksDouble({ ...common, iparams: { api_host: API_HOST, api_key: SECRET, other: 'x' } }),
    ).rejects.toThrow(/iparam other is not declared/);
  });
});

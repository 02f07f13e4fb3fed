// A strict local stand-in for the Freshworks platform hosting an app in a Freshdesk ticket, for
// tests only. Two origins, as on the real platform: the ticket page (the host, Freshdesk's origin)
// and the app's own files (the app origin, where its frames run and which an API's CORS must
// allow). The app is read from its folder as the platform reads it (app-folder.ts); its pages get
// the double's client script for `{{{appclient}}}` (browser/appclient.js), whose calls the ticket
// page answers (browser/host.js). Request templates run here, on the server, as Freshworks' proxy
// runs them (request-templates.ts): the secure iparams stay in this process and only ever go out
// in a template's headers.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { listenOnLoopback } from '../loopback.ts';
import { type FreshworksApp, readFreshworksApp } from './app-folder.ts';
import {
  type FreshworksInvokeError,
  type InvokeOptions,
  type RenderedRequest,
  renderRequest,
  TemplateRefusal,
} from './request-templates.ts';
import { TICKET_PAGE_CSS, ticketPage } from './ticket-page.ts';

/** The platform's limit: requests per minute per app and account. */
export const FRESHWORKS_REQUESTS_PER_MINUTE = 50;
/** The platform's default timeout of one request. */
export const FRESHWORKS_REQUEST_TIMEOUT_MS = 15_000;

export type FreshworksTicketSeed = {
  readonly id: number;
  readonly subject: string;
  readonly description?: string;
  readonly requesterId?: number;
};

export type FreshworksAgent = { readonly id: number; readonly name: string; readonly email: string };

export interface FreshworksDoubleOptions {
  /** The app's folder: manifest.json, app/, config/. */
  readonly appFolder: string;
  /** The installation's iparams, secure ones included (those never leave the double's server). */
  readonly iparams: Readonly<Record<string, string>>;
  /**
   * Where the proxy reaches each host a template may name: `{'uplink.acme.example': 'http://127.0.0.1:8080'}`.
   * It stands in for DNS and TLS; a host not listed cannot be connected to (502).
   */
  readonly hosts: Readonly<Record<string, string>>;
  readonly ticket: FreshworksTicketSeed;
  readonly loggedInUser?: FreshworksAgent;
  /** The account's Freshdesk domain (`client.data.get('domainName')`). */
  readonly domainName?: string;
  /** The agent's own text already in the reply editor. */
  readonly editorText?: string;
  /** How the editor's toolbar button and the frames name the app. */
  readonly appName?: string;
  readonly requestTimeoutMs?: number;
}

/** One `invokeTemplate` as the proxy handled it. */
export type FreshworksInvocation = {
  readonly name: string;
  /** The placement it came from, when it came through the ticket page. */
  readonly location: string | null;
  /** The request sent (method, host, path and query), or null when none was. */
  readonly request: string | null;
  readonly status: number;
  /** Why the proxy refused it, in the double's words; null when it was sent. */
  readonly refused: string | null;
};

export type FreshworksInvokeResult = {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly response: string;
};

export type FreshworksInvokeOutcome =
  | { readonly ok: true; readonly value: FreshworksInvokeResult }
  | { readonly ok: false; readonly error: FreshworksInvokeError };

export interface FreshworksDouble {
  /** The ticket page, as Freshdesk's agent portal shows it. */
  readonly ticketUrl: string;
  /** The ticket page's origin (Freshdesk's). */
  readonly hostOrigin: string;
  /** The origin the app's frames run on: what an API called from them must allow (CORS). */
  readonly appOrigin: string;
  readonly invocations: readonly FreshworksInvocation[];
  /** Runs a request template as the proxy does when the ticket page asks (also for unit tests). */
  invokeTemplate(
    name: string,
    options?: InvokeOptions,
    location?: string | null,
  ): Promise<FreshworksInvokeOutcome>;
  stop(): Promise<void>;
}

export async function startFreshworksDouble(options: FreshworksDoubleOptions): Promise<FreshworksDouble> {
  const app = await readFreshworksApp(options.appFolder);
  checkInstalled(app, options.iparams);
  const [hostScript, clientScript] = await Promise.all([
    readFile(new URL('./browser/host.js', import.meta.url), 'utf8'),
    readFile(new URL('./browser/appclient.js', import.meta.url), 'utf8'),
  ]);
  const hostServer = createServer();
  const appServer = createServer();
  const [hostOrigin, appOrigin] = await Promise.all([
    listenOnLoopback(hostServer),
    listenOnLoopback(appServer),
  ]);
  return new FreshworksDoubleServer({
    app,
    options,
    hostServer,
    appServer,
    hostOrigin,
    appOrigin,
    hostScript,
    clientScript,
  });
}

function checkInstalled(app: FreshworksApp, installed: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(installed)) {
    if (!app.iparams.has(name))
      throw new Error(`Freshworks app: iparam ${name} is not declared in config/iparams.json`);
  }
  for (const [name, declared] of app.iparams) {
    if (declared.required === true && !installed[name]) {
      throw new Error(`Freshworks app: the required iparam ${name} has no value`);
    }
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

type Parts = {
  app: FreshworksApp;
  options: FreshworksDoubleOptions;
  hostServer: Server;
  appServer: Server;
  hostOrigin: string;
  appOrigin: string;
  hostScript: string;
  clientScript: string;
};

class FreshworksDoubleServer implements FreshworksDouble {
  readonly ticketUrl: string;
  readonly hostOrigin: string;
  readonly appOrigin: string;
  readonly #parts: Parts;
  readonly #invocations: FreshworksInvocation[] = [];
  readonly #recentRequests: number[] = [];
  #stopped: Promise<void> | undefined;

  constructor(parts: Parts) {
    this.#parts = parts;
    this.hostOrigin = parts.hostOrigin;
    this.appOrigin = parts.appOrigin;
    this.ticketUrl = `${parts.hostOrigin}/a/tickets/${parts.options.ticket.id}`;
    parts.hostServer.on(
      'request',
      (req, res) => void this.#serveHost(req, res).catch((error) => fail(res, error)),
    );
    parts.appServer.on(
      'request',
      (req, res) => void this.#serveApp(req, res).catch((error) => fail(res, error)),
    );
  }

  get invocations(): readonly FreshworksInvocation[] {
    return this.#invocations;
  }

  async invokeTemplate(
    name: string,
    options: InvokeOptions = {},
    location: string | null = null,
  ): Promise<FreshworksInvokeOutcome> {
    const { app, options: installation } = this.#parts;
    let rendered: RenderedRequest;
    try {
      rendered = renderRequest(app, installation.iparams, name, options);
    } catch (error) {
      if (!(error instanceof TemplateRefusal)) throw error;
      this.#invocations.push({
        name,
        location,
        request: null,
        status: error.failure.status,
        refused: error.message,
      });
      return { ok: false, error: error.failure };
    }
    const request = `${rendered.method} ${rendered.host}${rendered.target}`;
    if (!this.#withinRateLimit()) {
      const refused = `more than ${FRESHWORKS_REQUESTS_PER_MINUTE} requests in a minute`;
      this.#invocations.push({ name, location, request: null, status: 429, refused });
      return {
        ok: false,
        error: {
          status: 429,
          headers: {},
          response: `You have exceeded the limit of ${FRESHWORKS_REQUESTS_PER_MINUTE} requests per minute`,
          errorSource: 'APP',
          attempts: 0,
        },
      };
    }
    const outcome = await this.#send(rendered, typeof options.body === 'string' ? options.body : undefined);
    const status = outcome.ok ? outcome.value.status : outcome.error.status;
    this.#invocations.push({ name, location, request, status, refused: null });
    return outcome;
  }

  stop(): Promise<void> {
    this.#stopped ??= Promise.all(
      [this.#parts.hostServer, this.#parts.appServer].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    ).then(() => undefined);
    return this.#stopped;
  }

  /** The proxy's call: retried on 429, 5xx and network errors as the template's options say. */
  async #send(request: RenderedRequest, body: string | undefined): Promise<FreshworksInvokeOutcome> {
    const origin = this.#parts.options.hosts[request.host];
    const timeoutMs = this.#parts.options.requestTimeoutMs ?? FRESHWORKS_REQUEST_TIMEOUT_MS;
    let last: FreshworksInvokeOutcome | undefined;
    for (let attempt = 1; attempt <= request.maxAttempts; attempt += 1) {
      if (attempt > 1) await delay(request.retryDelayMs);
      if (origin === undefined) return platformError(502, 'Error in establishing connection', attempt);
      let response: Response;
      try {
        response = await fetch(`${origin}${request.target}`, {
          method: request.method,
          headers: request.headers,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          ...(body === undefined || request.method === 'GET' ? {} : { body }),
        });
      } catch (error) {
        last =
          error instanceof DOMException && error.name === 'TimeoutError'
            ? platformError(504, 'Timeout error while processing the request', attempt)
            : platformError(502, 'Error in establishing connection', attempt);
        continue;
      }
      const value: FreshworksInvokeResult = {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        response: await response.text(),
      };
      if (response.status >= 200 && response.status < 300) return { ok: true, value };
      last = { ok: false, error: { ...value, errorSource: 'APP', attempts: attempt } };
      if (response.status !== 429 && response.status < 500) return last;
    }
    return last as FreshworksInvokeOutcome;
  }

  #withinRateLimit(): boolean {
    const now = Date.now();
    while ((this.#recentRequests[0] ?? now) <= now - 60_000) this.#recentRequests.shift();
    if (this.#recentRequests.length >= FRESHWORKS_REQUESTS_PER_MINUTE) return false;
    this.#recentRequests.push(now);
    return true;
  }

  async #serveHost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', this.hostOrigin);
    if (req.method === 'POST' && pathname === '/__fw/invoke') {
      // Only the ticket page itself may use the proxy (browsers send Origin with every POST).
      if (req.headers.origin !== this.hostOrigin) {
        send(res, 403, 'text/plain', 'not from the ticket page');
        return;
      }
      const call = JSON.parse(await readBody(req)) as { name: string; location?: string } & InvokeOptions;
      const outcome = await this.invokeTemplate(call.name, call, call.location ?? null);
      send(res, 200, 'application/json', JSON.stringify(outcome));
      return;
    }
    if (req.method !== 'GET') {
      send(res, 405, 'text/plain', 'method not allowed');
      return;
    }
    if (pathname === new URL(this.ticketUrl).pathname) {
      send(
        res,
        200,
        'text/html; charset=utf-8',
        ticketPage(this.#pageConfig(), this.#parts.options.editorText ?? ''),
      );
    } else if (pathname === '/__fw/host.js') {
      send(res, 200, CONTENT_TYPES['.js'] as string, this.#parts.hostScript);
    } else if (pathname === '/__fw/ticket-page.css') {
      send(res, 200, CONTENT_TYPES['.css'] as string, TICKET_PAGE_CSS);
    } else {
      send(res, 404, 'text/plain', 'not found');
    }
  }

  /** The app's files from its app/ folder, HTML with `{{{appclient}}}` replaced, and the client script. */
  async #serveApp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', this.appOrigin);
    if (req.method !== 'GET') {
      send(res, 405, 'text/plain', 'method not allowed');
      return;
    }
    if (pathname === '/__fw/appclient.js') {
      send(res, 200, CONTENT_TYPES['.js'] as string, this.#parts.clientScript);
      return;
    }
    const root = join(this.#parts.app.folder, 'app');
    const file = normalize(join(root, decodeURIComponent(pathname.replace(/^\/app\//, ''))));
    const type = CONTENT_TYPES[extname(file)];
    if (!pathname.startsWith('/app/') || !file.startsWith(root + sep) || type === undefined) {
      send(res, 404, 'text/plain', 'not found');
      return;
    }
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch {
      send(res, 404, 'text/plain', 'not found');
      return;
    }
    if (extname(file) === '.html') {
      const client = `${this.appOrigin}/__fw/appclient.js?host=${encodeURIComponent(this.hostOrigin)}`;
      content = Buffer.from(content.toString('utf8').replaceAll('{{{appclient}}}', client));
    }
    send(res, 200, type, content);
  }

  #pageConfig() {
    const { app, options } = this.#parts;
    const agent = options.loggedInUser ?? {
      id: 43_000_000_200,
      name: 'Ada Agent',
      email: 'ada@acme.example',
    };
    const { ticket } = options;
    const createdAt = new Date(Date.now() - 3_600_000).toISOString();
    const iparams = Object.fromEntries(
      Object.entries(options.iparams).filter(([name]) => app.iparams.get(name)?.secure !== true),
    );
    return {
      appName: options.appName ?? 'App',
      appOrigin: this.appOrigin,
      placements: app.placements,
      // The attributes Freshdesk's ticket data object documents (a subset).
      ticket: {
        id: ticket.id,
        subject: ticket.subject,
        description: `<div>${ticket.description ?? ''}</div>`,
        description_text: ticket.description ?? '',
        status: 2,
        priority: 1,
        source: 1,
        type: null,
        requester_id: ticket.requesterId ?? 43_000_000_900,
        responder_id: agent.id,
        group_id: null,
        tags: [],
        created_at: createdAt,
        updated_at: createdAt,
      },
      loggedInUser: {
        id: agent.id,
        available: true,
        occasional: false,
        ticket_scope: 1,
        group_ids: [],
        role_ids: [],
        contact: { name: agent.name, email: agent.email, active: true, language: 'en', time_zone: 'UTC' },
      },
      domainName: options.domainName ?? 'acme.freshdesk.com',
      iparams,
    };
  }
}

function platformError(status: number, response: string, attempts: number): FreshworksInvokeOutcome {
  return { ok: false, error: { status, headers: {}, response, errorSource: 'PLATFORM', attempts } };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

function fail(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, 500, 'text/plain', error instanceof Error ? error.message : String(error));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

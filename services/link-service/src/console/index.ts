// The agent console at /console: one server-rendered page and its assets. Public (the page
// holds no tenant data); the browser calls the /v1 API with the tenant key the agent pastes.
import { type Logger, logFor } from '@uplink/kit';
import { registerFavicon, registerStaticAssets } from '@uplink/web';
import type { FastifyInstance } from 'fastify';
import { CONSOLE_ASSET_PREFIX, consoleAssets } from './assets.ts';
import { consoleContentSecurityPolicy, DEFAULT_FRAME_ANCESTORS } from './csp.ts';
import { type ConsolePageOptions, renderConsolePage } from './render.ts';

export type ConsoleOptions = ConsolePageOptions & {
  /** Origins allowed to frame the console (helpdesk sidebars), besides our own. */
  frameAncestors?: readonly string[];
  /** The blob storage origin that previews of received files load from; none, no previews. */
  mediaOrigin?: string;
};

/** The headers of every console page (the sign-in's pages too): its CSP, no caching, no referrer. */
export function consolePageHeaders(options: ConsoleOptions): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': consoleContentSecurityPolicy(
      options.frameAncestors ?? DEFAULT_FRAME_ANCESTORS,
      options.mediaOrigin,
    ),
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-robots-tag': 'noindex, nofollow',
    'x-content-type-options': 'nosniff',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
}

export function consoleRoutes(app: FastifyInstance, options: ConsoleOptions = {}): void {
  const assets = consoleAssets();
  logFor(app.log as Logger, 'lifecycle').info(
    { script: assets.script, style: assets.style, payload: assets.payload },
    'console assets built',
  );
  registerStaticAssets(app, CONSOLE_ASSET_PREFIX, assets.files);
  registerFavicon(app);
  const page = renderConsolePage(
    options.providerName !== undefined ? { providerName: options.providerName } : {},
  );
  const headers = consolePageHeaders(options);
  app.get('/console', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(headers).send(page),
  );
}

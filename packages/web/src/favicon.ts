// The icon browsers ask every page's origin for (`/favicon.ico`, unasked): without it each page
// view logs a failed load. One icon for the customer's pages and the agent console.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/** 32×32, a white upload arrow on the pages' accent blue: a PNG inside an ICO container. */
const FAVICON = readFileSync(new URL('./favicon.ico', import.meta.url));

/** GET and HEAD `/favicon.ico`, cacheable for a day (the name never changes, the icon might). */
export function registerFavicon(app: FastifyInstance): void {
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .headers({
        'content-type': 'image/x-icon',
        'cache-control': 'public, max-age=86400',
        'x-content-type-options': 'nosniff',
        'cross-origin-resource-policy': 'same-origin',
      })
      .send(FAVICON),
  );
}

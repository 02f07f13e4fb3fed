// Cross-origin access to the tenant API and its live stream, for the helpdesk apps' pages that
// call it from the browser: off unless CORS_ALLOWED_ORIGINS lists their origins, one by one.
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The CORS_ALLOWED_ORIGINS value as its origins (empty: CORS is off). */
export function corsOriginList(value: string): string[] {
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
}

/** Each listed origin is one exactly as browsers send it: `scheme://host[:port]`, nothing else. */
export function checkCorsOrigins(config: { CORS_ALLOWED_ORIGINS?: string | undefined }): string[] {
  return corsOriginList(config.CORS_ALLOWED_ORIGINS ?? '').flatMap((origin) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // The URL parser takes `*` as a host character: a wildcard is refused by name.
    const exact =
      parsed && /^https?:$/.test(parsed.protocol) && parsed.origin === origin && !origin.includes('*');
    return exact
      ? []
      : [
          `CORS_ALLOWED_ORIGINS: ${JSON.stringify(origin)} is not an origin: write it as browsers send it, scheme://host[:port] (http or https, lower case, no path, no wildcard)`,
        ];
  });
}

/** Only the tenant API (its stream included) is opened; the console, docs and operator routes never. */
const isApi = (request: FastifyRequest) => request.url.startsWith('/v1/');

/**
 * Opens the API to pages of the listed origins: the exact origin is echoed back (never `*`),
 * credentials (cookies) are never allowed cross-origin, so a page elsewhere can only send a
 * credential it holds itself (`Authorization`, or a stream ticket). Another origin gets no CORS
 * header at all, and its preflight is not answered (404). Every answer says `Vary: Origin`.
 * With no origins listed nothing is registered: no CORS header on any answer.
 */
export async function registerApiCors(
  app: FastifyInstance,
  allowedOrigins: readonly string[],
): Promise<void> {
  if (allowedOrigins.length === 0) return;
  const allowed = new Set(allowedOrigins);
  await app.register(cors, {
    delegator: (request, callback) => {
      const { origin } = request.headers;
      const open = origin !== undefined && allowed.has(origin) && isApi(request);
      callback(null, {
        origin: open ? origin : false,
        credentials: false,
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
        allowedHeaders: ['authorization', 'content-type', 'last-event-id'],
        exposedHeaders: ['location', 'retry-after'],
        maxAge: 600,
        // A listed origin's OPTIONS without Access-Control-Request-Method is answered like a
        // preflight rather than with the plugin's plain-text 400 (every error is an envelope).
        strictPreflight: false,
      });
    },
  });
}

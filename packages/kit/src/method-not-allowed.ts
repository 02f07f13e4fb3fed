import type { ErrorEnvelope } from '@uplink/contracts';
import type { FastifyInstance } from 'fastify';

type KnownPath = { pattern: RegExp; methods: Set<string> };

/** `/v1/links/:id/file-url` → a pattern that matches the paths that route serves. */
function pathPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) return '[^/]+';
      if (segment === '*') return '.*';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

/**
 * A request for a path that exists, with a method it does not have, is answered 405 with an
 * Allow header naming the methods it has (RFC 9110, 15.5.6), not 404: the client learns the
 * resource is there. Decided before the body is read, so whatever the request carries (a QUERY
 * without a Content-Type, say) it gets this answer. Call before any route is added.
 */
export function answerMethodNotAllowed(app: FastifyInstance): void {
  const known = new Map<string, KnownPath>();
  app.addHook('onRoute', (route) => {
    // A catch-all (CORS's OPTIONS preflight route) says nothing about which paths exist.
    if (route.url === '*') return;
    const entry = known.get(route.url) ?? { pattern: pathPattern(route.url), methods: new Set<string>() };
    for (const method of [route.method].flat()) entry.methods.add(method);
    known.set(route.url, entry);
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) return done();
    const path = request.url.split('?')[0] ?? '/';
    const allowed = new Set<string>();
    for (const { pattern, methods } of known.values()) {
      if (pattern.test(path)) for (const method of methods) allowed.add(method);
    }
    if (allowed.size === 0) return done();
    if (allowed.has('GET')) allowed.add('HEAD');
    const methods = [...allowed].sort();
    reply
      .code(405)
      .header('allow', methods.join(', '))
      .send({
        error: {
          code: 'method_not_allowed',
          message: `${request.method} is not allowed on ${path}; allowed: ${methods.join(', ')}`,
        },
      } satisfies ErrorEnvelope);
  });
}

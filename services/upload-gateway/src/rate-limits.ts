import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import { AppError, hashSecret } from '@uplink/kit';
import type { LinkStore } from '@uplink/store';
import type {
  FastifyInstance,
  FastifyRequest,
  onRequestHookHandler,
  preHandlerAsyncHookHandler,
} from 'fastify';
import { TOKEN_PATTERN } from './routes/html-page.ts';

const MINUTE_MS = 60_000;
/** The per-link limiter's key for a token that is no link: never counted, never stored. */
const NOT_A_LINK = 'not-a-link';

export type PublicRateLimits = {
  /** Every public route, per client address (X-Forwarded-For only from TRUST_PROXY hops). */
  perIp: onRequestHookHandler;
  /**
   * Every route that takes a link token, per link: one link cannot be hammered from one address
   * nor from many. A preHandler, so only well-formed tokens (the route's schema) are looked up.
   */
  perLink: preHandlerAsyncHookHandler;
};

/**
 * Counters live in this process; with several replicas each enforces its own share, which
 * still bounds abuse. A shared store (Redis) is the next step when that is not enough. Each
 * limit keeps at most the plugin's 5,000 counters (least recently used dropped first): bounded
 * memory whatever the traffic.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  limits: { perIpPerMinute: number; perLinkPerMinute: number },
  links: Pick<LinkStore, 'findByTokenHash'>,
): Promise<PublicRateLimits> {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `Too many requests; try again in ${context.after}.`),
  });
  // Counted per link, not per token string: only tokens of real links take a counter, so a flood
  // of made-up tokens neither fills the limiter nor pushes real links' counters out of it.
  const linkKey = async (request: FastifyRequest) => {
    const token = (request.params as { token?: unknown }).token;
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return NOT_A_LINK;
    const link = await links.findByTokenHash(hashSecret(token));
    return link ? `link:${link._id}` : NOT_A_LINK;
  };
  const linkBudget = app.createRateLimit({
    max: limits.perLinkPerMinute,
    timeWindow: MINUTE_MS,
    keyGenerator: linkKey,
    allowList: (_request, key) => key === NOT_A_LINK,
  });
  return {
    perIp: app.rateLimit({
      max: limits.perIpPerMinute,
      timeWindow: MINUTE_MS,
      // One budget per IPv6 /64 (what one customer line gets), not per address within it.
      keyGenerator: (request) => `ip:${normalizeIP(request.ip)}`,
    }),
    // Not `app.rateLimit`: the plugin runs only the first of its hooks on a request, and perIp
    // is that one, so a second hook of it would never count.
    perLink: async (request, reply) => {
      const verdict = await linkBudget(request);
      if (verdict.isAllowed || !verdict.isExceeded) return;
      reply.header('retry-after', verdict.ttlInSeconds);
      throw new AppError(
        'rate_limited',
        `Too many requests for this link; try again in ${verdict.ttlInSeconds} seconds.`,
      );
    },
  };
}

import rateLimit from '@fastify/rate-limit';
import { AppError, hashSecret } from '@uplink/kit';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';

const MINUTE_MS = 60_000;

export type PublicRateLimits = {
  /** Every public route, per client address (X-Forwarded-For only from TRUST_PROXY hops). */
  perIp: onRequestHookHandler;
  /** The upload API, per link token: one link cannot be hammered from many addresses. */
  perToken: onRequestHookHandler;
};

/**
 * Counters live in this process; with several replicas each enforces its own share, which
 * still bounds abuse. A shared store (Redis) is the next step when that is not enough.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  limits: { perIpPerMinute: number; perTokenPerMinute: number },
): Promise<PublicRateLimits> {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `Too many requests; try again in ${context.after}.`),
  });
  const tokenOf = (request: FastifyRequest) => {
    const token = (request.params as { token?: unknown }).token;
    // Hashed so raw tokens do not sit in the limiter's memory.
    return `token:${typeof token === 'string' ? hashSecret(token) : 'none'}`;
  };
  return {
    perIp: app.rateLimit({
      max: limits.perIpPerMinute,
      timeWindow: MINUTE_MS,
      keyGenerator: (request) => `ip:${request.ip}`,
    }),
    perToken: app.rateLimit({ max: limits.perTokenPerMinute, timeWindow: MINUTE_MS, keyGenerator: tokenOf }),
  };
}

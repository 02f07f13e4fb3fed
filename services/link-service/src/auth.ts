import { timingSafeEqual } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { ErrorEnvelope } from '@uplink/contracts';
import { AppError, type Clock, hashSecret, unauthorized } from '@uplink/kit';
import type { TenantStore } from '@uplink/store';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on authenticated routes: the tenant the API key belongs to. */
    tenantId: string;
  }
}

export const BEARER_SCHEME = {
  apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (upk_...).' },
} as const;

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

/**
 * The client a request counts against: its address (X-Forwarded-For only from TRUST_PROXY
 * hops), an IPv6 address by its /64, which is what one customer line gets.
 */
export function clientOf(ip: string): string {
  const address = ip.split('%')[0] ?? ip;
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  // With `::`, the groups it stands for are zeros; an embedded IPv4 sits in the last 32 bits only.
  const groups = tail === undefined ? headGroups : [...headGroups, '0', '0', '0', '0'];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

type FailureWindow = { failures: number; endsAt: number };

/**
 * Failed authentication per client: past `maxFailures` in a window, the client is refused with
 * 429 until the window ends, before its credential is even looked up, so guessing keys or the
 * operator token costs the attacker time and the database nothing. Other clients are not
 * affected. At most `maxClients` windows are kept (the oldest dropped first): bounded memory.
 * Per process; each replica counts its own share.
 */
export class AuthFailureThrottle {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
  readonly #clock: Clock;
  /** In the order their windows started, so the oldest are first. */
  readonly #windows = new Map<string, FailureWindow>();

  constructor(options: { maxFailures: number; windowMs: number; maxClients?: number; clock: Clock }) {
    this.#maxFailures = options.maxFailures;
    this.#windowMs = options.windowMs;
    this.#maxClients = options.maxClients ?? 10_000;
    this.#clock = options.clock;
  }

  /** How many clients are being counted. */
  get size(): number {
    return this.#windows.size;
  }

  /** Seconds until the client may try again; 0 when it may now. */
  retryAfterSeconds(ip: string): number {
    const window = this.#windows.get(clientOf(ip));
    const now = this.#clock.now().getTime();
    if (!window || window.endsAt <= now || window.failures < this.#maxFailures) return 0;
    return Math.ceil((window.endsAt - now) / 1000);
  }

  recordFailure(ip: string): void {
    const client = clientOf(ip);
    const now = this.#clock.now().getTime();
    const window = this.#windows.get(client);
    if (window && window.endsAt > now) {
      window.failures++;
      return;
    }
    this.#windows.delete(client);
    this.#makeRoom(now);
    this.#windows.set(client, { failures: 1, endsAt: now + this.#windowMs });
  }

  #makeRoom(now: number): void {
    for (const [client, window] of this.#windows) {
      if (window.endsAt > now && this.#windows.size < this.#maxClients) return;
      this.#windows.delete(client);
    }
  }

  /** A hook step: refuses a client that is past its budget, with Retry-After. */
  refuseIfThrottled(request: FastifyRequest, reply: FastifyReply): void {
    const wait = this.retryAfterSeconds(request.ip);
    if (wait === 0) return;
    reply.header('retry-after', wait);
    throw new AppError(
      'rate_limited',
      `Too many failed authentication attempts from this address; try again in ${wait} seconds.`,
    );
  }
}

/** Every route of a guarded scope may answer 401 and 429: its OpenAPI document says so. */
function documentAuthRefusals(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<number, unknown> | undefined;
    if (!response) return;
    response[401] ??= ErrorEnvelope;
    response[429] ??= ErrorEnvelope;
  });
}

/** Every route registered in this scope requires `Authorization: Bearer <tenant API key>`. */
export function requireTenant(
  scope: FastifyInstance,
  tenants: TenantStore,
  throttle: AuthFailureThrottle,
): void {
  documentAuthRefusals(scope);
  scope.decorateRequest('tenantId', '');
  scope.addHook('onRequest', async (request, reply) => {
    throttle.refuseIfThrottled(request, reply);
    const key = bearerToken(request);
    const tenantId = key ? await tenants.tenantIdForKeyHash(hashSecret(key)) : undefined;
    if (!tenantId) {
      throttle.recordFailure(request.ip);
      throw key
        ? unauthorized('The API key is not valid.')
        : unauthorized('Send a tenant API key as "Authorization: Bearer <key>".');
    }
    request.tenantId = tenantId;
  });
}

/** The operator routes require the deployment's operator token. */
export function requireOperator(
  scope: FastifyInstance,
  operatorToken: string,
  throttle: AuthFailureThrottle,
): void {
  documentAuthRefusals(scope);
  const expected = Buffer.from(hashSecret(operatorToken));
  scope.addHook('onRequest', async (request, reply) => {
    throttle.refuseIfThrottled(request, reply);
    // Comparing hashes in constant time tells an attacker nothing about how close a guess was.
    const given = Buffer.from(hashSecret(bearerToken(request) ?? ''));
    if (!timingSafeEqual(given, expected)) {
      throttle.recordFailure(request.ip);
      throw unauthorized('The operator token is not valid.');
    }
  });
}

import { timingSafeEqual } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { ErrorEnvelope } from '@uplink/contracts';
import { AppError, type Clock, hashSecret, unauthorized } from '@uplink/kit';
import type { TenantStore } from '@uplink/store';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  STREAM_TICKET_PARAMETER,
  type StreamTicketRoutesDeps,
  streamTicketOf,
  tenantOfStreamTicket,
} from './routes/stream-tickets.ts';

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

export type CredentialSources = {
  tenants: TenantStore;
  /** Only the live stream's scope takes stream tickets (EventSource cannot send headers). */
  streamTickets?: StreamTicketRoutesDeps;
};

/**
 * The tenant behind the request's credential, or undefined without a usable one. Every credential
 * source is read here, side by side: a stream ticket in the query (`?stream_ticket=`, where the
 * scope takes them), else `Authorization: Bearer` with an API key. An API key is never taken
 * from a URL.
 */
async function tenantOf(request: FastifyRequest, sources: CredentialSources): Promise<string | undefined> {
  const { streamTickets } = sources;
  const streamTicket = streamTickets ? streamTicketOf(request) : undefined;
  if (streamTickets && streamTicket) return tenantOfStreamTicket(request, streamTicket, streamTickets);
  const key = bearerToken(request);
  if (!key) return undefined;
  return (await sources.tenants.tenantIdForKeyHash(hashSecret(key))) ?? undefined;
}

function refusal(request: FastifyRequest, sources: CredentialSources): AppError {
  if (sources.streamTickets && streamTicketOf(request)) {
    return unauthorized(
      'The stream ticket is not valid: unknown, used, expired, or for another stream. Get a new one from POST /v1/stream-tickets.',
    );
  }
  if (bearerToken(request)) return unauthorized('The API key is not valid.');
  return sources.streamTickets
    ? unauthorized(
        `Send a tenant API key as "Authorization: Bearer <key>", or a stream ticket from POST /v1/stream-tickets as ?${STREAM_TICKET_PARAMETER}=. An API key is never accepted in a URL.`,
      )
    : unauthorized('Send a tenant API key as "Authorization: Bearer <key>".');
}

/** Every route registered in this scope requires a credential (see tenantOf). */
export function requireTenant(
  scope: FastifyInstance,
  sources: CredentialSources,
  throttle: AuthFailureThrottle,
): void {
  documentAuthRefusals(scope);
  scope.decorateRequest('tenantId', '');
  scope.addHook('onRequest', async (request, reply) => {
    throttle.refuseIfThrottled(request, reply);
    const tenantId = await tenantOf(request, sources);
    if (!tenantId) {
      throttle.recordFailure(request.ip);
      throw refusal(request, sources);
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

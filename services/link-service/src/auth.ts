import { timingSafeEqual } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { type Actor, ErrorEnvelope, type Role } from '@uplink/contracts';
import { AppError, type Clock, forbidden, hashSecret, type SecurityScheme, unauthorized } from '@uplink/kit';
import { AGENT_SESSION_PREFIX, type AgentSessionStore, agentActor, type TenantStore } from '@uplink/store';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  principalOfStreamTicket,
  STREAM_TICKET_PARAMETER,
  type StreamTicketRoutesDeps,
  streamTicketOf,
} from './routes/stream-tickets.ts';
import { isAllowedCookieRequest, sessionCookieOf } from './sign-in/session-cookie.ts';

/** Who is asking: the tenant, what the credential may do, and who acts (links record it). */
export type Principal = {
  tenantId: string;
  role: Role;
  actor: Actor;
  /** Set when the credential is an agent session. */
  sessionId?: string;
  /** Set when the credential is an API key. */
  keyId?: string;
  /**
   * The SHA-256 of the credential the request came with (for a stream ticket: of the one that
   * asked for it), so what outlives the request (a stream) can check it still works.
   */
  credentialHash: string;
};

/**
 * Who may do what: each authenticated route names one of these families in its `config.access`,
 * and one hook (requirePrincipal) refuses every other role with 403. The README's "Who can do
 * what" table is this one.
 */
export const ACCESS = {
  whoami: { roles: ['admin', 'integration', 'agent'], what: 'who the credential is' },
  links: {
    roles: ['admin', 'integration', 'agent'],
    what: 'links (create, read, list, revoke, previews, the live stream)',
  },
  agentSessions: { roles: ['admin', 'integration'], what: 'agent sessions' },
  readSettings: { roles: ['admin', 'integration'], what: 'reading settings' },
  admin: { roles: ['admin'], what: 'changing settings and destinations, and API keys' },
  audit: { roles: ['admin'], what: 'the audit log' },
} as const satisfies Record<string, { roles: readonly Role[]; what: string }>;
export type Access = keyof typeof ACCESS;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which roles may call the route (see ACCESS); every authenticated route names one. */
    access?: Access;
  }
  interface FastifyRequest {
    /** Set on authenticated routes. */
    principal: Principal;
  }
}

export const SECURITY_SCHEMES = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key (upk_...), with the role admin or integration.',
  },
  agentSession: {
    type: 'http',
    scheme: 'bearer',
    description: 'An agent session token (ups_...) from POST /v1/agent-sessions: the role agent.',
  },
  operatorToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      "The deployment's operator token (UPLINK_OPERATOR_TOKEN): the /admin routes only, which exist only when it is set.",
  },
  streamTicket: {
    type: 'apiKey',
    in: 'query',
    name: STREAM_TICKET_PARAMETER,
    description:
      'A stream ticket (ust_...) from POST /v1/stream-tickets, for EventSource: the live stream only, once, within 60 seconds, as whoever asked for it.',
  },
} as const satisfies Record<string, SecurityScheme>;

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

/**
 * Each route's access, from its `config.access`, into its OpenAPI operation: the security
 * schemes, the roles (`x-uplink-roles` and a line of its description) and the 403. A route
 * without one is a mistake that would leave it open to every role: registering it throws.
 */
function documentAccess(scope: FastifyInstance, takesStreamTickets: boolean): void {
  scope.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (!access) throw new Error(`${route.method} ${route.url} must name its access (config.access)`);
    const { roles } = ACCESS[access];
    const security = [
      { apiKey: [] },
      { agentSession: [] },
      ...(takesStreamTickets ? [{ streamTicket: [] }] : []),
    ];
    documentOperation(route.schema, security, roles);
    const response = route.schema?.response as Record<number, unknown> | undefined;
    if (response) response[403] ??= ErrorEnvelope;
  });
}

/**
 * An operation's security schemes and the roles that may call it (`x-uplink-roles` and a
 * "Roles:" line of its description). A GET's HEAD route comes with the same schema: once is enough.
 */
function documentOperation(
  routeSchema: unknown,
  security: Record<string, never[]>[],
  roles: readonly string[],
): void {
  const schema = routeSchema as Record<string, unknown> | undefined;
  if (!schema || schema['x-uplink-roles']) return;
  schema.security = security;
  schema['x-uplink-roles'] = [...roles];
  const rolesLine = `Roles: ${roles.join(', ')}.`;
  schema.description = schema.description ? `${schema.description}\n\n${rolesLine}` : rolesLine;
}

export type PrincipalSources = {
  tenants: TenantStore;
  agentSessions: AgentSessionStore;
  clock: Clock;
  /** Only the live stream's scope takes stream tickets (EventSource cannot send headers). */
  streamTickets?: StreamTicketRoutesDeps;
  /**
   * Set where the console signs in with the identity provider (PUBLIC_CONSOLE_ORIGIN): the
   * session cookie is taken too, for writes only from this origin.
   */
  consoleOrigin?: string;
};

/**
 * The agent session token in the console's session cookie, where sign-in with a provider is on.
 * A write it carries must come from the console's own origin (CSRF; see isAllowedCookieRequest).
 */
function consoleSessionToken(request: FastifyRequest, sources: PrincipalSources): string | undefined {
  const { consoleOrigin } = sources;
  const token = consoleOrigin === undefined ? undefined : sessionCookieOf(request);
  // The cookie only ever holds an agent session: an API key is never taken from it.
  if (consoleOrigin === undefined || !token?.startsWith(AGENT_SESSION_PREFIX)) return undefined;
  if (!isAllowedCookieRequest(request, consoleOrigin))
    throw forbidden(
      `A change made with the console's session cookie must come from the console (${consoleOrigin}).`,
    );
  return token;
}

/**
 * The principal behind the request's credential, or undefined without a usable one. Every
 * credential source is read here, side by side: a stream ticket in the query (`?stream_ticket=`,
 * where the scope takes them: it acts for whoever asked for it), else `Authorization: Bearer`
 * with an API key (upk_) or an agent session token (ups_), else the console's session cookie (an
 * agent session, where the scope's sources name the console's origin). An API key is never taken
 * from a URL or a cookie.
 */
async function principalOf(
  request: FastifyRequest,
  sources: PrincipalSources,
): Promise<Principal | undefined> {
  const { streamTickets } = sources;
  const streamTicket = streamTickets ? streamTicketOf(request) : undefined;
  if (streamTickets && streamTicket) {
    const principal = await principalOfStreamTicket(request, streamTicket, streamTickets);
    // A ticket asked for by a session or key revoked (or expired) since opens nothing.
    return principal && (await credentialStillWorks(principal, sources)) ? principal : undefined;
  }
  const token = bearerToken(request) ?? consoleSessionToken(request, sources);
  if (!token) return undefined;
  const now = sources.clock.now();
  const credentialHash = hashSecret(token);
  if (token.startsWith(AGENT_SESSION_PREFIX)) {
    const session = await sources.agentSessions.findUsable(credentialHash, now);
    if (!session) return undefined;
    return {
      tenantId: session.tenantId,
      role: session.role,
      actor: agentActor(session),
      sessionId: session.sessionId,
      credentialHash,
    };
  }
  const key = await sources.tenants.verifyApiKey(credentialHash, now);
  return key
    ? { tenantId: key.tenantId, role: key.role, actor: key.actor, keyId: key.keyId, credentialHash }
    : undefined;
}

/**
 * Whether the credential a principal came with still works now (not revoked, not expired): for
 * what outlives its request, a stream ticket and an open stream. An API key is verified as on
 * every request (revocation reaches other replicas within their 10-second cache).
 */
export async function credentialStillWorks(
  principal: Principal,
  sources: Pick<PrincipalSources, 'tenants' | 'agentSessions' | 'clock'>,
): Promise<boolean> {
  const now = sources.clock.now();
  return principal.sessionId !== undefined
    ? (await sources.agentSessions.findUsable(principal.credentialHash, now)) !== null
    : (await sources.tenants.verifyApiKey(principal.credentialHash, now)) !== null;
}

function refusal(request: FastifyRequest, sources: PrincipalSources): AppError {
  if (sources.streamTickets && streamTicketOf(request)) {
    return unauthorized(
      'The stream ticket is not valid: unknown, used, expired, or for another stream. Get a new one from POST /v1/stream-tickets.',
    );
  }
  const token = bearerToken(request);
  if (!token && sources.consoleOrigin !== undefined && sessionCookieOf(request))
    return unauthorized('The console session is not valid: expired or revoked. Sign in again.');
  if (!token) {
    const bearer = 'an API key or an agent session token as "Authorization: Bearer <credential>"';
    return sources.streamTickets
      ? unauthorized(
          `Send ${bearer}, or a stream ticket from POST /v1/stream-tickets as ?${STREAM_TICKET_PARAMETER}=. An API key is never accepted in a URL.`,
        )
      : unauthorized(`Send ${bearer}.`);
  }
  return token.startsWith(AGENT_SESSION_PREFIX)
    ? unauthorized('The agent session is not valid: unknown, expired or revoked.')
    : unauthorized('The API key is not valid: unknown, expired or revoked.');
}

/**
 * Every route registered in this scope requires a credential (see principalOf), and a role its
 * `config.access` allows: `request.principal` says who asks.
 */
export function requirePrincipal(
  scope: FastifyInstance,
  sources: PrincipalSources,
  throttle: AuthFailureThrottle,
): void {
  documentAuthRefusals(scope);
  documentAccess(scope, sources.streamTickets !== undefined);
  scope.decorateRequest('principal', null as unknown as Principal);
  scope.addHook('onRequest', async (request, reply) => {
    throttle.refuseIfThrottled(request, reply);
    const principal = await principalOf(request, sources);
    if (!principal) {
      throttle.recordFailure(request.ip);
      throw refusal(request, sources);
    }
    // documentAccess makes every route name its access; the strictest stands in otherwise.
    const { roles, what } = ACCESS[request.routeOptions.config.access ?? 'admin'];
    if (!(roles as readonly Role[]).includes(principal.role)) {
      throw forbidden(
        `Only the role ${roles.join(' or ')} may do this (${what}); this credential has the role ${principal.role}.`,
      );
    }
    request.principal = principal;
  });
}

/** The operator routes require the deployment's operator token. */
export function requireOperator(
  scope: FastifyInstance,
  operatorToken: string,
  throttle: AuthFailureThrottle,
): void {
  documentAuthRefusals(scope);
  scope.addHook('onRoute', (route) => documentOperation(route.schema, [{ operatorToken: [] }], ['operator']));
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

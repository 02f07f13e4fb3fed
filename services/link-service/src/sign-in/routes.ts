// The console's sign-in with the company's identity provider: /console/sign-in sends the browser
// to the provider, /console/sign-in/callback checks its answer and mints an agent session (an
// admin session for the provider's admins) held in the session cookie, /console/sign-out
// revokes it. Every way it can end without a session is a page a person reads.
import { type Clock, forbidden, hashSecret, type Logger, logFor, type SecretBox } from '@uplink/kit';
import { type AgentSessionStore, type AuditRecorder, agentActor, type TenantStore } from '@uplink/store';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { SIGN_IN_CALLBACK_PATH, SIGN_IN_PATH, SIGN_OUT_PATH } from '../console/config.ts';
import { consoleIdentity, type IdentityPolicy } from './console-identity.ts';
import { type IdentityProvider, ProviderUnreachable, SignInNotVerified } from './identity-provider.ts';
import {
  consoleReturnPath,
  openPendingSignIn,
  PENDING_SIGN_IN_COOKIE,
  PENDING_SIGN_IN_TTL_MS,
  sealPendingSignIn,
} from './pending-sign-in.ts';
import { renderSignInRefusal, SIGN_IN_REFUSALS, type SignInRefusal } from './refusal-page.ts';
import {
  clearSessionCookie,
  isAllowedCookieRequest,
  sessionCookieOf,
  setSessionCookie,
} from './session-cookie.ts';

export type SignInOptions = {
  provider: IdentityProvider;
  policy: IdentityPolicy;
  /** Seals the sign-in in progress into its cookie (UPLINK_SECRET_KEYS). */
  box: SecretBox;
  /** PUBLIC_CONSOLE_ORIGIN: where the callback is, and the only origin cookie writes come from. */
  consoleOrigin: string;
  sessionMinutes: number;
  tenants: TenantStore;
  agentSessions: AgentSessionStore;
  audit: AuditRecorder;
  clock: Clock;
  /** The headers of the console's pages (its CSP among them), for the refusal pages too. */
  pageHeaders: Record<string, string>;
};

// Lax, not Strict: the provider's redirect back is a navigation from its site, and the cookie
// must come with it. It holds no credential, only what the callback checks the answer against.
const PENDING_COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' } as const;

export function signInRoutes(app: FastifyInstance, options: SignInOptions): void {
  const { provider, box, clock, tenants, agentSessions, audit } = options;
  const log = logFor(app.log as Logger, 'sign-in');

  const refuse = (reply: FastifyReply, refusal: SignInRefusal, values: Record<string, string> = {}) =>
    reply
      .code(SIGN_IN_REFUSALS[refusal])
      .headers(options.pageHeaders)
      .send(renderSignInRefusal(refusal, values));

  app.get(
    SIGN_IN_PATH,
    {
      schema: {
        hide: true,
        querystring: Type.Object({ return: Type.Optional(Type.String({ maxLength: 1000 })) }),
      },
    },
    async (request, reply) => {
      const { return: requested } = request.query as { return?: string };
      let started: Awaited<ReturnType<IdentityProvider['begin']>>;
      try {
        started = await provider.begin(consoleReturnPath(requested), clock.now().getTime());
      } catch (error) {
        if (!(error instanceof ProviderUnreachable)) throw error;
        log.warn({ err: error }, 'the identity provider could not be reached');
        return refuse(reply, 'unreachable');
      }
      reply.setCookie(PENDING_SIGN_IN_COOKIE, sealPendingSignIn(box, started.pending), {
        ...PENDING_COOKIE_OPTIONS,
        maxAge: PENDING_SIGN_IN_TTL_MS / 1000,
      });
      return reply.header('cache-control', 'no-store').redirect(started.url.href, 303);
    },
  );

  app.get(SIGN_IN_CALLBACK_PATH, { schema: { hide: true } }, async (request, reply) => {
    const now = clock.now();
    const pending = openPendingSignIn(box, request.cookies[PENDING_SIGN_IN_COOKIE], now.getTime());
    // Whatever happens next, this sign-in is over: its state cannot be used a second time here.
    reply.clearCookie(PENDING_SIGN_IN_COOKIE, PENDING_COOKIE_OPTIONS);
    if (!pending) {
      log.warn('sign-in refused: no sign-in in progress (none started, expired, used or altered)');
      return refuse(reply, 'expired');
    }
    let claims: Awaited<ReturnType<IdentityProvider['finish']>>;
    try {
      claims = await provider.finish(new URL(request.url, options.consoleOrigin), pending);
    } catch (error) {
      if (error instanceof SignInNotVerified) {
        log.warn({ reason: error.message }, 'sign-in refused');
        return error.providerError
          ? refuse(reply, 'providerRefused', { error: error.providerError })
          : refuse(reply, 'notVerified');
      }
      if (error instanceof ProviderUnreachable) {
        log.warn({ err: error }, 'the identity provider could not be reached');
        return refuse(reply, 'unreachable');
      }
      throw error;
    }
    const identity = consoleIdentity(claims, options.policy);
    const name = typeof claims.name === 'string' ? claims.name : claims.sub;
    if (!identity) {
      log.warn({ sub: claims.sub }, 'sign-in refused: no tenant claim');
      return refuse(reply, 'noTenant', { name });
    }
    if (!(await tenants.getSettings(identity.tenantId))) {
      log.warn({ sub: claims.sub, tenantId: identity.tenantId }, 'sign-in refused: no such tenant');
      return refuse(reply, 'unknownTenant', { name });
    }
    const session = await agentSessions.create(
      { ...identity, source: 'console', ttlMinutes: options.sessionMinutes },
      now,
    );
    await audit.record(
      identity.tenantId,
      'agent_session.created',
      agentActor({ ...identity, source: 'console' }),
      {
        details: {
          sessionId: session.sessionId,
          agentId: identity.agent.id,
          source: 'console',
          role: identity.role,
        },
      },
    );
    log.info(
      {
        tenantId: identity.tenantId,
        agentId: identity.agent.id,
        role: identity.role,
        sessionId: session.sessionId,
      },
      'signed in with the identity provider',
    );
    setSessionCookie(reply, session.token, session.expiresAt);
    return reply.header('cache-control', 'no-store').redirect(pending.returnTo, 303);
  });

  app.post(SIGN_OUT_PATH, { schema: { hide: true } }, async (request, reply) => {
    // A page on another origin must not sign the agent out (a CSRF nuisance, but still a write).
    if (!isAllowedCookieRequest(request, options.consoleOrigin))
      throw forbidden(`Signing out must come from the console (${options.consoleOrigin}).`);
    const token = sessionCookieOf(request);
    const session = token ? await agentSessions.findUsable(hashSecret(token), clock.now()) : null;
    if (session) {
      if (await agentSessions.revoke(session.tenantId, session.sessionId, clock.now())) {
        await audit.record(session.tenantId, 'agent_session.revoked', agentActor(session), {
          details: { sessionId: session.sessionId, signedOut: true },
        });
      }
      log.info({ tenantId: session.tenantId, sessionId: session.sessionId }, 'signed out');
    }
    clearSessionCookie(reply);
    return reply.code(204).send();
  });
}

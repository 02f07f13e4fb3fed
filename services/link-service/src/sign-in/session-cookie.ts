// How the console holds the session the identity provider's sign-in gave it: an HttpOnly cookie
// (the page's script never sees the token), Secure (Chromium keeps and sends such a cookie on
// http://127.0.0.1 and localhost too, `__Host-` included, so the tests run as production does),
// SameSite=Strict (no other site's page or link sends it), and `__Host-` (only this exact origin,
// over https, with Path=/, may set it). The token is an agent session (ups_…) like any other.
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Cookie parsing and setting for the whole app (the auth hook reads the session cookie). */
export async function registerCookies(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCookie);
}

export const SESSION_COOKIE = '__Host-uplink-session';

const SESSION_COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' } as const;

export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date): void {
  reply.setCookie(SESSION_COOKIE, token, { ...SESSION_COOKIE_OPTIONS, expires: expiresAt });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS);
}

/** The session token the request's cookie carries, if any. */
export function sessionCookieOf(request: FastifyRequest): string | undefined {
  return request.cookies[SESSION_COOKIE] || undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF, for requests that the cookie authenticates: a write must carry an `Origin` header naming
 * the console's own origin. SameSite=Strict already keeps the cookie off requests from other
 * sites; the Origin check also covers other origins of the same site (another port or
 * subdomain on the same registrable domain), which SameSite counts as "same". Browsers set
 * `Origin` on every non-GET request, same-origin fetches included, and no page can forge it, so
 * the console's calls need nothing extra (a custom header would do too, but every call would have
 * to remember it). Reads change nothing and cannot be read across origins without CORS.
 */
export function isAllowedCookieRequest(request: FastifyRequest, consoleOrigin: string): boolean {
  return SAFE_METHODS.has(request.method) || request.headers.origin === consoleOrigin;
}

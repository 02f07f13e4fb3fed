import { LINK_TOKEN_PATTERN } from '@uplink/contracts';
import { AppError, type HttpApp } from '@uplink/kit';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { negotiateLocale, renderRateLimitedPage } from '../page/index.ts';

/** Link tokens and viewer tokens as they appear in URLs: the pattern the API schemas use. */
export const TOKEN_PATTERN = new RegExp(LINK_TOKEN_PATTERN);

export type HtmlPages = {
  send(reply: FastifyReply, status: number, html: string): FastifyReply;
  /**
   * A client that opens pages too often gets a page to read, not the API's JSON envelope; the
   * limiter has already set Retry-After. Every other error goes to the app's handler.
   */
  errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): unknown;
};

/**
 * How the public pages answer: HTML with the page's CSP, and headers that keep the capability in
 * the URL to ourselves (no Referer carries it to another site, no cache keeps it, no search
 * engine lists it).
 */
export function htmlPages(app: HttpApp, headers: { csp: string; permissionsPolicy: string }): HtmlPages {
  const send = (reply: FastifyReply, status: number, html: string) =>
    reply
      .code(status)
      .headers({
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': headers.csp,
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
        'x-robots-tag': 'noindex, nofollow',
        'x-content-type-options': 'nosniff',
        'cross-origin-opener-policy': 'same-origin',
        'permissions-policy': headers.permissionsPolicy,
      })
      .send(html);
  return {
    send,
    errorHandler(error, request, reply) {
      if (error instanceof AppError && error.code === 'rate_limited') {
        const locale = negotiateLocale(request.headers['accept-language']);
        return send(reply, error.statusCode, renderRateLimitedPage(locale));
      }
      return app.errorHandler(error, request, reply);
    },
  };
}

import { AppError, type Clock, type HttpApp } from '@uplink/kit';
import { effectiveStatus, type LinkStore } from '@uplink/links';
import type { SettingsSource } from '@uplink/tenants';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { goneReason } from '../link-availability.ts';
import {
  contentSecurityPolicy,
  negotiateLocale,
  renderRateLimitedPage,
  renderUnavailablePage,
  renderUploadPage,
} from '../page/index.ts';
import type { PublicRateLimits } from '../rate-limits.ts';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,100}$/;

/**
 * The customer's page. GET and HEAD only read: mail scanners fetch links and run their scripts,
 * so opening a link must never consume or change it.
 */
export function uploadPageRoutes(
  app: HttpApp,
  deps: {
    links: LinkStore;
    tenants: SettingsSource;
    clock: Clock;
    storageOrigin: string;
    rateLimits: PublicRateLimits;
  },
): void {
  const { links, tenants, clock } = deps;
  const csp = contentSecurityPolicy(deps.storageOrigin);

  const sendHtml = (reply: FastifyReply, status: number, html: string) =>
    reply
      .code(status)
      .headers({
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': csp,
        // The token is in the URL: no Referer may carry it to another site, no cache may keep it.
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
        'x-robots-tag': 'noindex, nofollow',
        'x-content-type-options': 'nosniff',
        'cross-origin-opener-policy': 'same-origin',
        'permissions-policy': 'camera=(self), microphone=(self), geolocation=()',
      })
      .send(html);

  // A customer who reloads too often gets a page to read, not the API's JSON envelope; the
  // limiter has already set Retry-After. Every other error goes to the app's handler.
  const pageErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError && error.code === 'rate_limited') {
      const locale = negotiateLocale(request.headers['accept-language']);
      return sendHtml(reply, error.statusCode, renderRateLimitedPage(locale));
    }
    return app.errorHandler(error, request, reply);
  };

  app.get<{ Params: { token: string } }>(
    '/u/:token',
    { onRequest: deps.rateLimits.perIp, errorHandler: pageErrorHandler, schema: { hide: true } },
    async (request, reply) => {
      const locale = negotiateLocale(request.headers['accept-language']);
      const { token } = request.params;
      const link = TOKEN_PATTERN.test(token) ? await links.findByToken(token) : null;
      if (!link) return sendHtml(reply, 404, renderUnavailablePage(locale, 'not_found'));
      const status = effectiveStatus(link, clock.now());
      if (status !== 'pending')
        return sendHtml(reply, 410, renderUnavailablePage(locale, goneReason(status)));
      const settings = await tenants.getSettings(link.tenantId);
      if (!settings) return sendHtml(reply, 404, renderUnavailablePage(locale, 'not_found'));
      return sendHtml(
        reply,
        200,
        renderUploadPage({
          locale,
          companyName: settings.companyName,
          supportDomain: settings.supportDomain,
          ...(link.contextMessage !== undefined ? { contextMessage: link.contextMessage } : {}),
          policy: settings.mediaPolicy,
          linkExpiresAt: link.expiresAt,
        }),
      );
    },
  );
}

import type { Clock, HttpApp } from '@uplink/kit';
import { hashSecret } from '@uplink/kit';
import { effectiveStatus } from '@uplink/links';
import type { LinkStore } from '@uplink/store';
import type { SettingsSource } from '@uplink/tenants';
import { goneReason } from '../link-availability.ts';
import {
  contentSecurityPolicy,
  negotiateLocale,
  renderUnavailablePage,
  renderUploadPage,
} from '../page/index.ts';
import type { PublicRateLimits } from '../rate-limits.ts';
import { htmlPages, TOKEN_PATTERN } from './html-page.ts';

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
  const pages = htmlPages(app, {
    csp: contentSecurityPolicy(deps.storageOrigin),
    permissionsPolicy: 'camera=(self), microphone=(self), geolocation=()',
  });

  app.get<{ Params: { token: string } }>(
    '/u/:token',
    { onRequest: deps.rateLimits.perIp, errorHandler: pages.errorHandler, schema: { hide: true } },
    async (request, reply) => {
      const locale = negotiateLocale(request.headers['accept-language']);
      const { token } = request.params;
      const link = TOKEN_PATTERN.test(token) ? await links.findByTokenHash(hashSecret(token)) : null;
      if (!link) return pages.send(reply, 404, renderUnavailablePage(locale, 'not_found'));
      const status = effectiveStatus(link, clock.now());
      if (status !== 'pending')
        return pages.send(reply, 410, renderUnavailablePage(locale, goneReason(status)));
      const settings = await tenants.getSettings(link.tenantId);
      if (!settings) return pages.send(reply, 404, renderUnavailablePage(locale, 'not_found'));
      return pages.send(
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

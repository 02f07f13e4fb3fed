import { FILE_GRANT_PARAMETER, FILE_SIGN_IN_PARAMETER, FILE_SIGN_IN_PATH } from '@uplink/contracts';
import type { Clock, HttpApp } from '@uplink/kit';
import { hashSecret } from '@uplink/kit';
import { shareIdOf } from '@uplink/links';
import type { BlobStore } from '@uplink/storage';
import type { AuditRecorder, FileShareStore } from '@uplink/store';
import type { SettingsSource } from '@uplink/tenants';
import { Type } from 'typebox';
import {
  contentSecurityPolicy,
  negotiateLocale,
  renderFileSignInPage,
  renderFileUnavailablePage,
  renderFileViewerPage,
} from '../page/index.ts';
import type { PublicRateLimits } from '../rate-limits.ts';
import { htmlPages, TOKEN_PATTERN } from './html-page.ts';

/**
 * How long the read SAS behind one view works: long enough to watch a video, short enough that a
 * revoked viewer link stops working for a page left open soon after.
 */
export const VIEW_SAS_MS = 10 * 60 * 1000;

/** A viewer link as the audit log names it (shareIdOf). */
export function viewerLinkActor(tokenHash: string): { kind: 'viewer_link'; shareId: string } {
  return { kind: 'viewer_link', shareId: shareIdOf(tokenHash) };
}

/**
 * The file viewer (`/f/<token>`): the page agents open from a note or a Flex entry. The token is
 * a capability (a `FileShareStore` share) that expires and can be revoked; each view makes a new
 * short-lived read SAS for the player and the download button, so the storage URL the browser
 * sees never outlives the view by much, and revocation takes effect for the next view at once.
 *
 * Where the tenant's files need sign-in, the token alone opens nothing: the viewer sends the
 * agent to the console (FILE_SIGN_IN_PATH at `consoleOrigin`), which holds the session, checks
 * that the session's tenant owns the file and sends the agent back with a single-use grant for
 * this share (`?grant_token=`); the viewer takes the grant out of the store and shows the page.
 * A reload goes round again, which a signed-in agent does not notice.
 */
export function fileViewerRoutes(
  app: HttpApp,
  deps: {
    shares: Pick<FileShareStore, 'findByTokenHash' | 'consumeGrant'>;
    tenants: SettingsSource;
    storage: Pick<BlobStore, 'origin' | 'readUrlIfUnchanged'>;
    audit: AuditRecorder;
    clock: Clock;
    rateLimits: PublicRateLimits;
    /** Origins that may show the viewer in a frame (FILE_VIEWER_FRAME_ANCESTORS). */
    frameAncestors?: readonly string[];
    /** PUBLIC_CONSOLE_ORIGIN: where agents sign in for files that need it; unset, such files do not open. */
    consoleOrigin?: string | undefined;
  },
): void {
  const { shares, tenants, storage, audit, clock, consoleOrigin } = deps;
  const pages = htmlPages(app, {
    csp: contentSecurityPolicy(storage.origin, {
      fileViewer: true,
      viewerFrameAncestors: deps.frameAncestors ?? [],
    }),
    permissionsPolicy: 'camera=(), microphone=(), geolocation=()',
  });

  app.get<{ Params: { token: string }; Querystring: { [FILE_GRANT_PARAMETER]?: string } }>(
    '/f/:token',
    {
      onRequest: deps.rateLimits.perIp,
      errorHandler: pages.errorHandler,
      schema: {
        hide: true,
        querystring: Type.Object({ [FILE_GRANT_PARAMETER]: Type.Optional(Type.String({ maxLength: 100 })) }),
      },
    },
    async (request, reply) => {
      const locale = negotiateLocale(request.headers['accept-language']);
      const { token } = request.params;
      const now = clock.now();
      const found = TOKEN_PATTERN.test(token)
        ? await shares.findByTokenHash(hashSecret(token), now)
        : ({ outcome: 'not_found' } as const);
      if (found.outcome !== 'found') {
        const status = found.outcome === 'not_found' ? 404 : 410;
        return pages.send(reply, status, renderFileUnavailablePage(locale, found.outcome));
      }
      const { share } = found;
      const settings = await tenants.getSettings(share.tenantId);
      if (!settings) return pages.send(reply, 404, renderFileUnavailablePage(locale, 'not_found'));
      /** The signed-in agent's session a grant came from, for the audit log. */
      let grantedTo: string | undefined;
      if (settings.filesNeedSignIn) {
        // Starting again is opening the viewer link itself, without a grant.
        const again = `./${token}`;
        const grant = request.query[FILE_GRANT_PARAMETER];
        if (grant === undefined) {
          if (!consoleOrigin)
            return pages.send(reply, 403, renderFileSignInPage(locale, 'not_configured', again));
          // A frame (Flex's Embedded entry) gets no console cookie from another site, and identity
          // providers refuse to be framed: the sign-in opens in a tab of its own.
          if (request.headers['sec-fetch-dest'] === 'iframe')
            return pages.send(reply, 403, renderFileSignInPage(locale, 'framed', again));
          const signIn = new URL(FILE_SIGN_IN_PATH, consoleOrigin);
          signIn.searchParams.set(FILE_SIGN_IN_PARAMETER, token);
          return reply
            .headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
            .redirect(signIn.href, 303);
        }
        // Used up whether or not it was for this file: a grant is tried once.
        const granted = await shares.consumeGrant(hashSecret(grant), now);
        if (granted?.shareId !== share._id || granted.tenantId !== share.tenantId)
          return pages.send(reply, 403, renderFileSignInPage(locale, 'grant_used', again));
        grantedTo = granted.sessionId;
      }
      // Never past the share's own end.
      const ttlMs = Math.min(VIEW_SAS_MS, share.expiresAt.getTime() - now.getTime());
      const response = { contentType: share.contentType, fileName: share.fileName };
      // Only the bytes verified at completion: a file that is gone or not the verified one any
      // more (possible only for files stored before verified copies) is withdrawn.
      const [fileUrl, downloadUrl] = await Promise.all([
        storage.readUrlIfUnchanged(share.blobName, share.etag, ttlMs, now, {
          ...response,
          disposition: 'inline',
        }),
        storage.readUrlIfUnchanged(share.blobName, share.etag, ttlMs, now, {
          ...response,
          disposition: 'attachment',
        }),
      ]);
      if (!fileUrl || !downloadUrl) {
        return pages.send(reply, 410, renderFileUnavailablePage(locale, 'revoked'));
      }
      // The page hands out the file (player and download): whoever holds the viewer link has it,
      // the agent session that signed in for it where files need sign-in.
      await audit.record(share.tenantId, 'file.downloaded', viewerLinkActor(share._id), {
        linkId: share.linkId,
        details: { fileName: share.fileName, ...(grantedTo ? { agentSessionId: grantedTo } : {}) },
      });
      return pages.send(
        reply,
        200,
        renderFileViewerPage({
          locale,
          companyName: settings.companyName,
          supportDomain: settings.supportDomain,
          file: {
            fileName: share.fileName,
            contentType: share.contentType,
            category: share.category,
            size: share.size,
          },
          fileUrl,
          downloadUrl,
          linkExpiresAt: share.expiresAt,
        }),
      );
    },
  );
}

// The sign-in step of a file whose tenant keeps files for signed-in agents. The viewer
// (upload-gateway, on the customers' host) cannot see the console's session cookie, so it sends
// the agent here: this route takes the session from the cookie, checks that the session's tenant
// owns the file, and sends the agent back to the viewer with a single-use grant for that file,
// valid a minute (only its hash is stored). Without a session, it offers the identity provider's
// sign-in, which comes back here.
import {
  FILE_GRANT_PARAMETER,
  FILE_GRANT_TTL_SECONDS,
  FILE_SIGN_IN_PARAMETER,
  FILE_SIGN_IN_PATH,
} from '@uplink/contracts';
import { type Clock, hashSecret, type Logger, logFor } from '@uplink/kit';
import { AGENT_SESSION_PREFIX, type AgentSessionStore, type FileShareStore } from '@uplink/store';
import { fill } from '@uplink/web/text';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { SIGN_IN_PATH } from '../console/config.ts';
import { messages } from '../console/messages.ts';
import { renderNotice } from './refusal-page.ts';
import { sessionCookieOf } from './session-cookie.ts';

export type FileSignInOptions = {
  agentSessions: AgentSessionStore;
  shares: Pick<FileShareStore, 'findByTokenHash' | 'createGrant'>;
  clock: Clock;
  /** PUBLIC_FILE_BASE_URL: the viewer, where the agent goes back to with the grant. */
  fileBaseUrl: string;
  providerName: string;
  /** The headers of the console's pages (its CSP among them). */
  pageHeaders: Record<string, string>;
};

/** Set on the second visit of a browser that came without a cookie (see the bounce below). */
const BOUNCED_PARAMETER = 'bounced';

const FileSignInQuery = Type.Object({
  [FILE_SIGN_IN_PARAMETER]: Type.String({ minLength: 1, maxLength: 100 }),
  [BOUNCED_PARAMETER]: Type.Optional(Type.Literal('1')),
});

export function fileSignInRoutes(app: FastifyInstance, options: FileSignInOptions): void {
  const { agentSessions, shares, clock } = options;
  const log = logFor(app.log as Logger, 'sign-in');
  const m = messages.page.fileSignIn;
  const page = (reply: FastifyReply, status: number, html: string) =>
    reply.code(status).headers(options.pageHeaders).send(html);

  app.get(
    FILE_SIGN_IN_PATH,
    { schema: { hide: true, querystring: FileSignInQuery } },
    async (request, reply) => {
      const query = request.query as { [FILE_SIGN_IN_PARAMETER]: string; [BOUNCED_PARAMETER]?: '1' };
      const fileToken = query[FILE_SIGN_IN_PARAMETER];
      const here = `${FILE_SIGN_IN_PATH}?${new URLSearchParams({ [FILE_SIGN_IN_PARAMETER]: fileToken })}`;
      const now = clock.now();
      const token = sessionCookieOf(request);
      const session = token?.startsWith(AGENT_SESSION_PREFIX)
        ? await agentSessions.findUsable(hashSecret(token), now)
        : null;
      if (!session) {
        // The session cookie is SameSite=Strict: a browser sent here by a redirect that began on
        // another site (the helpdesk's note, the provider's callback) leaves it out. Navigating
        // again from this page is same-site, so the cookie comes along if the browser holds one.
        if (!token && query[BOUNCED_PARAMETER] === undefined) {
          const again = `${here}&${BOUNCED_PARAMETER}=1`;
          reply.header('refresh', `0; url=${again}`);
          return page(
            reply,
            200,
            renderNotice({
              title: m.title,
              heading: m.signIn.heading,
              text: m.continue,
              action: { href: again, label: m.continue },
            }),
          );
        }
        const provider = { provider: options.providerName };
        return page(
          reply,
          401,
          renderNotice({
            title: m.title,
            heading: m.signIn.heading,
            text: fill(m.signIn.text, provider),
            action: {
              href: `${SIGN_IN_PATH}?${new URLSearchParams({ return: here })}`,
              label: fill(m.signIn.button, provider),
            },
          }),
        );
      }
      const found = await shares.findByTokenHash(hashSecret(fileToken), now);
      // Another tenant's file answers as no file at all: whether it exists is not this agent's to know.
      if (found.outcome !== 'found' || found.share.tenantId !== session.tenantId) {
        return page(
          reply,
          404,
          renderNotice({ title: m.title, heading: m.notFound.heading, text: m.notFound.text }),
        );
      }
      const grant = await shares.createGrant({
        tenantId: session.tenantId,
        shareId: found.share._id,
        sessionId: session.sessionId,
        ttlMs: FILE_GRANT_TTL_SECONDS * 1000,
        now,
      });
      log.info(
        { tenantId: session.tenantId, sessionId: session.sessionId, linkId: found.share.linkId },
        'signed-in agent sent to a file',
      );
      const viewer = new URL(`${options.fileBaseUrl}${fileToken}`);
      viewer.searchParams.set(FILE_GRANT_PARAMETER, grant.token);
      return reply
        .headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
        .redirect(viewer.href, 303);
    },
  );
}

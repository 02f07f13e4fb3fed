import { ErrorEnvelope, type LinkView, TicketParams } from '@uplink/contracts';
import { AppError, type Clock, type HttpApp, unavailable } from '@uplink/kit';
import type { LinkStore, StreamTicketStore } from '@uplink/store';
import { Type } from 'typebox';
import {
  type AuthFailureThrottle,
  credentialStillWorks,
  type PrincipalSources,
  requirePrincipal,
} from '../auth.ts';
import type { LinkChange, LinkEventsFeed } from '../link-events-feed.ts';
import { toLinkView } from './link-view.ts';
import { STREAM_TICKET_PARAMETER } from './stream-tickets.ts';

export type LinkStreamDeps = {
  principals: PrincipalSources;
  streamTickets: StreamTicketStore;
  links: LinkStore;
  feed: LinkEventsFeed;
  clock: Clock;
  authFailures: AuthFailureThrottle;
  /** Streams a tenant may hold open at once in this process (default 50). */
  streamsPerTenant?: number | undefined;
  /** How long one stream stays open before it ends and its client reconnects (default 30 min). */
  maxLifetimeMs?: number | undefined;
  /** How often an open stream checks the credential it was opened with still works (default 30 s). */
  credentialCheckMs?: number | undefined;
  keepAliveMs?: number;
};

const SNAPSHOT_LIMIT = 50;
/** A client that lets this much pile up unread is dropped; it resumes from its last id. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const CURSOR = /^\d{1,15}$/;

const StreamQuery = Type.Object(
  {
    [STREAM_TICKET_PARAMETER]: Type.Optional(
      Type.String({
        description:
          'A stream ticket from `POST /v1/stream-tickets`, for EventSource clients that cannot set headers; used up by this request. API keys are never accepted in a URL.',
      }),
    ),
    lastEventId: Type.Optional(Type.String({ description: 'Resume after this event id.' })),
  },
  { additionalProperties: false },
);

const frame = (event: string, id: number, json: string) => `event: ${event}\nid: ${id}\ndata: ${json}\n\n`;

/**
 * The last event of a stream whose credential was revoked or expired while it was open: the
 * client signs in again (or mints a new session) instead of reconnecting with what no longer works.
 */
export const CREDENTIAL_ENDED_EVENT = 'credential-ended';

/**
 * `GET /v1/tickets/{provider}/{ticketId}/links/stream`: a ticket's links as Server-Sent Events.
 * Registered in its own scope: only here may the credential be a stream ticket in the query
 * (`?stream_ticket=`; the request log redacts it, see the kit's `redactUrl`), which opens this
 * stream once and is worthless after a minute. `Authorization: Bearer` works as everywhere.
 */
export function linkStreamRoutes(app: HttpApp, deps: LinkStreamDeps): void {
  const { links, feed, clock } = deps;
  const keepAliveMs = deps.keepAliveMs ?? 15_000;
  const streamsPerTenant = deps.streamsPerTenant ?? 50;
  const maxLifetimeMs = deps.maxLifetimeMs ?? 30 * 60 * 1000;
  const credentialCheckMs = deps.credentialCheckMs ?? 30_000;
  const open = new Set<() => void>();
  // Each open stream holds a connection (a file handle) for as long as it lasts: a cap per
  // tenant keeps one tenant's key from taking them all.
  const openPerTenant = new Map<string, number>();

  requirePrincipal(
    app,
    { ...deps.principals, streamTickets: { streamTickets: deps.streamTickets, clock } },
    deps.authFailures,
  );
  // Open streams never end by themselves: end them before the server waits for its connections.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    '/v1/tickets/:provider/:ticketId/links/stream',
    {
      config: { access: 'links' },
      schema: {
        summary: "A ticket's links, live (Server-Sent Events)",
        description:
          'First `event: snapshot` with `{"links": [...]}`, then `event: link` with a link\'s current view whenever it changes; `: keep-alive` comments every 15 s. When the credential it was opened with is revoked or expires, a last `event: credential-ended` (`{"message"}`) and the stream ends: sign in again rather than reconnect. Each event\'s `id` is a cursor: reconnect with `Last-Event-ID` (or `?lastEventId=`) to be sent the changes missed since, then live ones.',
        tags: ['links'],
        params: TicketParams,
        querystring: StreamQuery,
        response: {
          200: {
            description: 'An event stream.',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          400: ErrorEnvelope,
          401: ErrorEnvelope,
          503: ErrorEnvelope,
        },
      },
    },
    async (request, reply) => {
      if (!feed.running) throw unavailable('Live updates are not available yet; try again shortly.');
      const { tenantId } = request.principal;
      const openForTenant = openPerTenant.get(tenantId) ?? 0;
      if (openForTenant >= streamsPerTenant) {
        throw new AppError(
          'rate_limited',
          `This account already has ${streamsPerTenant} live streams open; close one (another tab or agent) or try again later.`,
        );
      }
      const ticket = { provider: request.params.provider, id: request.params.ticketId };
      const header = request.headers['last-event-id'];
      const given = (typeof header === 'string' ? header : undefined) ?? request.query.lastEventId;
      const resumeAfter = given !== undefined && CURSOR.test(given.trim()) ? Number(given.trim()) : undefined;

      const res = reply.raw;
      reply.hijack();
      // What the hooks set (nosniff, CORS for a listed origin): a hijacked reply would drop them.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) res.setHeader(name, value);
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
        // Once a stream ends the connection has nothing left to carry: close it rather than park it.
        connection: 'close',
      });
      // The connection is meant to stay open: no idle timeout; keep-alives prove it is alive.
      request.raw.socket.setTimeout(0);

      let ended = false;
      // Live changes wait here until the snapshot or the replay has been written.
      let queued: LinkChange[] | undefined = [];
      let sentUpTo = 0;
      const write = (text: string) => {
        if (ended) return;
        res.write(text);
        if (res.writableLength > MAX_BUFFERED_BYTES) end();
      };
      const sendChange = (change: LinkChange) => {
        if (change.seq <= sentUpTo) return;
        sentUpTo = change.seq;
        write(frame('link', change.seq, change.json));
      };
      const keepAlive = setInterval(() => write(': keep-alive\n\n'), keepAliveMs);
      keepAlive.unref();
      // No stream lives forever: at the end of its lifetime it ends, and EventSource reconnects
      // by itself with Last-Event-ID, which sends what changed meanwhile and checks the key again.
      const lifetime = setTimeout(() => end(), maxLifetimeMs);
      lifetime.unref();
      // A session revoked (an agent signed out, an admin cut them off) or expired, or a key
      // revoked, ends the streams it opened within one check, not at the end of their lifetime.
      const { principal } = request;
      const credentialCheck = setInterval(async () => {
        try {
          if (ended || (await credentialStillWorks(principal, deps.principals))) return;
        } catch (err) {
          // The store could not answer: the next check asks again; the stream goes on meanwhile.
          request.log.warn({ err }, 'links stream could not check its credential');
          return;
        }
        write(
          `event: ${CREDENTIAL_ENDED_EVENT}\ndata: ${JSON.stringify({ message: 'The credential this stream was opened with was revoked or has expired. Sign in again.' })}\n\n`,
        );
        end();
      }, credentialCheckMs);
      credentialCheck.unref();
      openPerTenant.set(tenantId, openForTenant + 1);
      const subscription = feed.subscribe(tenantId, ticket, {
        change: (change) => {
          if (queued) queued.push(change);
          else sendChange(change);
        },
        close: () => end(),
      });
      function end() {
        if (ended) return;
        ended = true;
        clearInterval(keepAlive);
        clearInterval(credentialCheck);
        clearTimeout(lifetime);
        const stillOpen = (openPerTenant.get(tenantId) ?? 1) - 1;
        if (stillOpen > 0) openPerTenant.set(tenantId, stillOpen);
        else openPerTenant.delete(tenantId);
        subscription.unsubscribe();
        open.delete(end);
        res.end();
      }
      open.add(end);
      res.on('close', end);

      try {
        const cursor = subscription.cursor;
        const missed =
          resumeAfter === undefined ? 'gone' : await feed.missedSince(tenantId, ticket, resumeAfter, cursor);
        if (missed === 'gone') {
          const found = await links.listByTicket(tenantId, ticket, SNAPSHOT_LIMIT);
          const now = clock.now();
          const snapshot: { links: LinkView[] } = { links: found.map((link) => toLinkView(link, now)) };
          write(frame('snapshot', cursor, JSON.stringify(snapshot)));
          sentUpTo = cursor;
        } else {
          sentUpTo = resumeAfter ?? 0;
          for (const { linkId, seq } of missed) {
            if (ended) return;
            const view = await feed.view(tenantId, linkId);
            if (view) sendChange({ seq, linkId, json: JSON.stringify(view) });
          }
          // The replay covered everything up to the cursor; live changes start after it.
          if (sentUpTo < cursor) sentUpTo = cursor;
        }
        const pending = queued;
        queued = undefined;
        for (const change of pending) sendChange(change);
      } catch (err) {
        request.log.warn({ err }, 'links stream failed before going live');
        end();
      }
    },
  );
}

import {
  CreateStreamTicketBody,
  ErrorEnvelope,
  STREAM_TICKET_TTL_SECONDS,
  StreamTicket,
} from '@uplink/contracts';
import { type Clock, type HttpApp, hashSecret } from '@uplink/kit';
import type { StreamTicketStore } from '@uplink/store';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth.ts';

export type StreamTicketRoutesDeps = { streamTickets: StreamTicketStore; clock: Clock };

/** The query parameter that carries a stream ticket to the live stream. */
export const STREAM_TICKET_PARAMETER = 'stream_ticket';

/**
 * `POST /v1/stream-tickets`: a ticket that opens one ticket's live links stream once, within a
 * minute. A browser's EventSource cannot send `Authorization`, so it asks for one of these
 * (with its header) before each connection and puts it in the stream's URL.
 */
export function streamTicketRoutes(app: HttpApp, deps: StreamTicketRoutesDeps): void {
  const { streamTickets, clock } = deps;
  app.post(
    '/v1/stream-tickets',
    {
      config: { access: 'links' },
      schema: {
        summary: "A single-use ticket for a ticket's live links stream",
        description: `For browsers' EventSource, which cannot send headers: open \`GET /v1/tickets/{provider}/{ticketId}/links/stream?${STREAM_TICKET_PARAMETER}=<streamTicket>\` with it within ${STREAM_TICKET_TTL_SECONDS} seconds. It opens that stream once, as whoever asked for it; reconnecting takes a new one (with \`?lastEventId=\` to resume).`,
        tags: ['links'],
        body: CreateStreamTicketBody,
        response: { 201: StreamTicket, 400: ErrorEnvelope, 401: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      const { tenantId, role, actor, credentialHash, sessionId, keyId } = request.principal;
      const { token, expiresAt } = await streamTickets.create({
        tenantId,
        ticket: request.body.ticket,
        role,
        actor,
        // The stream checks this credential still works when it opens and while it is open.
        credentialHash,
        sessionId,
        keyId,
        ttlMs: STREAM_TICKET_TTL_SECONDS * 1000,
        now: clock.now(),
      });
      return reply.code(201).send({ streamTicket: token, expiresAt: expiresAt.toISOString() });
    },
  );
}

/** The stream ticket the request's query carries, if it carries one. */
export function streamTicketOf(request: FastifyRequest): string | undefined {
  const given = (request.query as Record<string, unknown>)[STREAM_TICKET_PARAMETER];
  return typeof given === 'string' && given ? given : undefined;
}

/**
 * Who a stream ticket lets into the stream this request asks for (whoever asked for the ticket);
 * undefined when the ticket is unknown, used, expired, or for another ticket's stream. The ticket
 * is used up either way: a ticket tried on the wrong stream is not kept for a second try.
 */
export async function principalOfStreamTicket(
  request: FastifyRequest,
  token: string,
  deps: StreamTicketRoutesDeps,
): Promise<Principal | undefined> {
  const ticket = await deps.streamTickets.consume(hashSecret(token), deps.clock.now());
  const params = request.params as { provider?: string; ticketId?: string };
  if (!ticket || ticket.ticket.provider !== params.provider || ticket.ticket.id !== params.ticketId) {
    return undefined;
  }
  // Minted before tickets were bound to their credential: nothing to check it against.
  if (ticket.credentialHash === undefined) return undefined;
  const { tenantId, role, actor, credentialHash, sessionId, keyId } = ticket;
  return {
    tenantId,
    role,
    actor,
    credentialHash,
    ...(sessionId !== undefined ? { sessionId } : {}),
    ...(keyId !== undefined ? { keyId } : {}),
  };
}

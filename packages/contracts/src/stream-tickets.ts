import { type Static, Type } from 'typebox';
import { TicketRef, Timestamp } from './common.ts';

/** How long a stream ticket opens its stream: what a proxy log keeps is worthless after it. */
export const STREAM_TICKET_TTL_SECONDS = 60;

export const CreateStreamTicketBody = Type.Object({ ticket: TicketRef }, { additionalProperties: false });
export type CreateStreamTicketBody = Static<typeof CreateStreamTicketBody>;

/**
 * A stream ticket: opens the live links stream of the ticket it was minted for, once, within a
 * minute, as `?stream_ticket=`. For browsers' EventSource, which cannot send headers; an API key
 * or an agent session never goes in a URL.
 */
export const StreamTicket = Type.Object(
  {
    streamTicket: Type.String({ description: 'The ticket (ust_...). Single-use; only its hash is stored.' }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);
export type StreamTicket = Static<typeof StreamTicket>;

import type { Actor, TicketRef, ValidityHours } from '@uplink/contracts';
import { hashSecret, newSecret, randomId, shortHex } from '@uplink/kit';
import type { LinkDocument } from './link-document.ts';
import { transitionEntry } from './link-events.ts';

const HOUR_MS = 60 * 60 * 1000;

export type NewLink = {
  tenantId: string;
  ticket: TicketRef;
  contextMessage?: string | undefined;
  validityHours: ValidityHours;
  /** Who creates it: the API always says; scripts, benchmarks and tests may not. */
  createdBy?: Actor | undefined;
  now: Date;
  /** Only benchmarks and tests set this; links otherwise expire `validityHours` after `now`. */
  expiresAt?: Date;
};

/** A new pending link's document, its `link.created` event already in the outbox. */
export function newLinkDocument(input: NewLink): { link: LinkDocument; token: string } {
  const token = newSecret();
  const { now } = input;
  const link: LinkDocument = {
    _id: randomId('lnk'),
    tenantId: input.tenantId,
    shortId: shortHex(4),
    ticket: { provider: input.ticket.provider, id: input.ticket.id },
    tokenHash: hashSecret(token),
    ...(input.contextMessage !== undefined ? { contextMessage: input.contextMessage } : {}),
    validityHours: input.validityHours,
    status: 'pending',
    createdAt: now,
    expiresAt: input.expiresAt ?? new Date(now.getTime() + input.validityHours * HOUR_MS),
    updatedAt: now,
    ...(input.createdBy ? { createdBy: input.createdBy } : {}),
  };
  link.outbox = [transitionEntry.created(link)];
  return { link, token };
}

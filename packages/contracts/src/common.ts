import { type Static, Type } from 'typebox';

export const PROVIDERS = ['freshdesk', 'twilio-flex', 'webhook'] as const;
export const Provider = Type.Enum(PROVIDERS, {
  description: 'Which helpdesk the ticket lives in; it picks where uploads are delivered.',
});
export type Provider = Static<typeof Provider>;

/** Ticket ids appear in URL paths, so they are kept to a safe alphabet. */
export const TicketId = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._:-]+$',
  description: 'The ticket, task or conversation id in the helpdesk.',
});

export const TicketRef = Type.Object({ provider: Provider, id: TicketId }, { additionalProperties: false });
export type TicketRef = Static<typeof TicketRef>;

export const VALIDITY_HOURS = [1, 2, 4, 8, 24] as const;
export const DEFAULT_VALIDITY_HOURS = 2;
export const ValidityHours = Type.Enum(VALIDITY_HOURS, {
  description: 'How long the link stays usable: 1, 2, 4, 8 or 24 hours.',
});
export type ValidityHours = Static<typeof ValidityHours>;

export const LINK_STATUSES = [
  'pending',
  'expired',
  'revoked',
  'received',
  'delivered',
  'delivery_failed',
] as const;
export const LinkStatus = Type.Enum(LINK_STATUSES, {
  description: "Computed against the server's clock: a pending link past expiresAt reads as expired.",
});
export type LinkStatus = Static<typeof LinkStatus>;

export const LinkId = Type.String({ pattern: '^lnk_[A-Za-z0-9]{20}$', description: 'The link id.' });
export const ShortId = Type.String({
  pattern: '^[0-9a-f]{4}$',
  description: 'A short tag (shown as #3bc4) that lets agents match a link to its note.',
});
export const TenantId = Type.String({ pattern: '^ten_[A-Za-z0-9]{20}$' });
export const Timestamp = Type.String({ format: 'date-time' });

export const CONTEXT_MESSAGE_MAX = 1000;
export const ContextMessage = Type.String({
  minLength: 1,
  maxLength: CONTEXT_MESSAGE_MAX,
  description: "The agent's note shown to the customer on the upload page.",
});

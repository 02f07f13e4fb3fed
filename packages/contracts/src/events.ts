import { type Static, type TSchema, Type } from 'typebox';
import { ContextMessage, LinkId, ShortId, TenantId, TicketRef, Timestamp, ValidityHours } from './common.ts';
import { type Subject, Subjects } from './subjects.ts';

export const SCHEMA_VERSION = 1 as const;

/** Every event is this envelope around a subject-specific `data` payload. */
function envelope<S extends Subject, D extends TSchema>(type: S, data: D) {
  return Type.Object(
    {
      schemaVersion: Type.Literal(SCHEMA_VERSION),
      eventId: Type.String({ minLength: 1, maxLength: 200 }),
      type: Type.Literal(type),
      occurredAt: Timestamp,
      tenantId: TenantId,
      linkId: LinkId,
      data,
    },
    { additionalProperties: false },
  );
}

const linkFacts = {
  shortId: ShortId,
  ticket: TicketRef,
  expiresAt: Timestamp,
};

export const LinkCreatedEvent = envelope(
  Subjects.linkCreated,
  Type.Object(
    { ...linkFacts, validityHours: ValidityHours, contextMessage: Type.Optional(ContextMessage) },
    { additionalProperties: false },
  ),
);
export type LinkCreatedEvent = Static<typeof LinkCreatedEvent>;

export const LinkExpiredEvent = envelope(
  Subjects.linkExpired,
  Type.Object({ ...linkFacts, expiredAt: Timestamp }, { additionalProperties: false }),
);
export type LinkExpiredEvent = Static<typeof LinkExpiredEvent>;

export const LinkRevokedEvent = envelope(
  Subjects.linkRevoked,
  Type.Object({ ...linkFacts, revokedAt: Timestamp }, { additionalProperties: false }),
);
export type LinkRevokedEvent = Static<typeof LinkRevokedEvent>;

/** The schema of each subject's messages: what publishers and consumers validate against. */
export const EventSchemas = {
  [Subjects.linkCreated]: LinkCreatedEvent,
  [Subjects.linkExpired]: LinkExpiredEvent,
  [Subjects.linkRevoked]: LinkRevokedEvent,
} as const satisfies Record<Subject, TSchema>;

export type EventOf<S extends Subject> = Static<(typeof EventSchemas)[S]>;
export type UplinkEvent = { [S in Subject]: EventOf<S> }[Subject];

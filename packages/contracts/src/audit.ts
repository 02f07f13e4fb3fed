import { type Static, Type } from 'typebox';
import { Actor } from './access.ts';
import { LinkId, Timestamp } from './common.ts';

/** Every security-relevant action a tenant's audit log records, one entry each. */
export const AUDIT_ACTIONS = [
  'link.created',
  'link.revoked',
  'upload.accepted',
  'upload.refused',
  'upload.blocked',
  'file.previewed',
  'file.downloaded',
  'viewer_link.created',
  'viewer_link.revoked',
  'settings.changed',
  'destinations.changed',
  'api_key.created',
  'api_key.revoked',
  'agent_session.created',
  'agent_session.revoked',
  'file.deleted_by_retention',
] as const;
export const AuditAction = Type.Enum(AUDIT_ACTIONS);
export type AuditAction = Static<typeof AuditAction>;

/**
 * Who did it: an agent or an API key (as links record them), the customer holding a link
 * (their address only as a keyed hash, never the address), a viewer link (a file opened through
 * it), or Uplink itself (retention).
 */
export const AuditActor = Type.Union([
  ...Actor.anyOf,
  Type.Object(
    {
      kind: Type.Literal('customer'),
      ipHash: Type.String({
        description: "HMAC-SHA-256 of the customer's address with a deployment secret.",
      }),
      userAgent: Type.Optional(Type.String({ maxLength: 500 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('viewer_link'), shareId: Type.String({ maxLength: 100 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('system'), name: Type.String({ maxLength: 100 }) },
    { additionalProperties: false },
  ),
]);
export type AuditActor = Static<typeof AuditActor>;

/** What an entry says beyond its action: names, ids, reasons, field names; never secrets or values. */
export const AuditDetails = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.String())]),
);
export type AuditDetails = Static<typeof AuditDetails>;

export const AuditEntryView = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: "The entry's place in its tenant's chain, from 1." }),
    at: Timestamp,
    action: AuditAction,
    actor: AuditActor,
    linkId: Type.Optional(LinkId),
    details: AuditDetails,
    prevHash: Type.String({ description: "The previous entry's hash (hex SHA-256)." }),
    hash: Type.String({ description: 'SHA-256 of prevHash, a newline and this entry in canonical form.' }),
  },
  { additionalProperties: false },
);
export type AuditEntryView = Static<typeof AuditEntryView>;

export const AuditQuery = Type.Object(
  {
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    linkId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    actor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 300,
        description:
          'An actor key: `agent:<id>`, `api_key:<keyPrefix>`, `customer`, `viewer_link:<shareId>` or `system:<name>`.',
      }),
    ),
    action: Type.Optional(AuditAction),
    cursor: Type.Optional(
      Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'nextCursor of the previous page.' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditPage = Type.Object(
  {
    entries: Type.Array(AuditEntryView),
    nextCursor: Type.Optional(Type.String({ description: 'Present when older entries follow.' })),
  },
  { additionalProperties: false },
);
export type AuditPage = Static<typeof AuditPage>;

export const AuditVerification = Type.Object(
  {
    ok: Type.Boolean(),
    checked: Type.Integer({ minimum: 0, description: 'How many entries were checked.' }),
    from: Type.Integer({
      minimum: 1,
      description: 'The first seq checked: 1, or the one after the last entry retention pruned.',
    }),
    firstBroken: Type.Optional(
      Type.Object(
        {
          seq: Type.Integer({ minimum: 1 }),
          reason: Type.String(),
        },
        { additionalProperties: false, description: 'The first entry that was altered, or that is missing.' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AuditVerification = Static<typeof AuditVerification>;

export const LinkHistory = Type.Object(
  { entries: Type.Array(AuditEntryView, { description: "The link's audit entries, oldest first." }) },
  { additionalProperties: false },
);
export type LinkHistory = Static<typeof LinkHistory>;

import { type Static, type TSchema, Type } from 'typebox';
import { Actor } from './access.ts';
import {
  ContextMessage,
  LinkId,
  Provider,
  ShortId,
  TenantId,
  TicketRef,
  Timestamp,
  ValidityHours,
} from './common.ts';
import { MediaCategory } from './media.ts';
import { type Subject, Subjects } from './subjects.ts';
import { UploadId, UploadKind } from './uploads.ts';

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
    {
      ...linkFacts,
      validityHours: ValidityHours,
      contextMessage: Type.Optional(ContextMessage),
      // Optional: events published before links recorded who made them stay valid.
      createdBy: Type.Optional(Actor),
    },
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
  Type.Object(
    // revokedBy is optional: events published before links recorded who revoked them stay valid.
    { ...linkFacts, revokedAt: Timestamp, revokedBy: Type.Optional(Actor) },
    { additionalProperties: false },
  ),
);
export type LinkRevokedEvent = Static<typeof LinkRevokedEvent>;

export const UploadedFile = Type.Object(
  {
    uploadId: UploadId,
    kind: UploadKind,
    category: MediaCategory,
    fileName: Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Cleaned: no path, no control characters.',
    }),
    contentType: Type.String({ minLength: 1, maxLength: 200, description: 'As verified from the content.' }),
    size: Type.Integer({ minimum: 1 }),
    container: Type.String({ minLength: 3, maxLength: 63 }),
    blobName: Type.String({ minLength: 1, maxLength: 1024 }),
    etag: Type.String({
      minLength: 1,
      description: 'The ETag verified at completion: read the blob only if it still matches.',
    }),
  },
  { additionalProperties: false },
);
export type UploadedFile = Static<typeof UploadedFile>;

export const UploadCompletedEvent = envelope(
  Subjects.uploadCompleted,
  Type.Object(
    {
      ...linkFacts,
      contextMessage: Type.Optional(ContextMessage),
      file: UploadedFile,
      receivedAt: Timestamp,
    },
    { additionalProperties: false },
  ),
);
export type UploadCompletedEvent = Static<typeof UploadCompletedEvent>;

export const UPLOAD_REJECTION_REASONS = ['receiving_disabled'] as const;

/** A customer tried to send while the tenant does not receive media; the agent should know. */
export const UploadRejectedEvent = envelope(
  Subjects.uploadRejected,
  Type.Object(
    { ...linkFacts, reason: Type.Enum(UPLOAD_REJECTION_REASONS), rejectedAt: Timestamp },
    { additionalProperties: false },
  ),
);
export type UploadRejectedEvent = Static<typeof UploadRejectedEvent>;

/** What the malware scanner reported, as the agent sees it on the link (no file content). */
export const BlockedUpload = Type.Object(
  {
    uploadId: UploadId,
    fileName: UploadedFile.properties.fileName,
    signature: Type.String({
      minLength: 1,
      maxLength: 200,
      description: "The scanner's name for what it found, e.g. `Win.Trojan.Agent-1234`.",
    }),
    blockedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type BlockedUpload = Static<typeof BlockedUpload>;

/**
 * The malware scanner found something in a file the customer sent: the file was deleted and the
 * link stays usable. One per blocked upload. Consumers filter by subject, so a consumer that does
 * not know it never receives it.
 */
export const UploadBlockedEvent = envelope(
  Subjects.uploadBlocked,
  Type.Object({ ...linkFacts, ...BlockedUpload.properties }, { additionalProperties: false }),
);
export type UploadBlockedEvent = Static<typeof UploadBlockedEvent>;

export const DELIVERY_MODES = ['attachment', 'link'] as const;

/** Where the agent finds what was delivered: the "go to message" of a received link. */
export const DeliveryTarget = Type.Object(
  {
    destination: Provider,
    noteId: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The note, task media entry or webhook delivery id.',
    }),
    url: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], {
      description: 'A page the agent can open.',
    }),
    mode: Type.Enum(DELIVERY_MODES, {
      description: '`link`: the file was too large for the destination, so the note links to it.',
    }),
  },
  { additionalProperties: false },
);
export type DeliveryTarget = Static<typeof DeliveryTarget>;

export const NotePostedEvent = envelope(
  Subjects.notePosted,
  Type.Object(
    { ...linkFacts, uploadId: UploadId, target: DeliveryTarget, postedAt: Timestamp },
    { additionalProperties: false },
  ),
);
export type NotePostedEvent = Static<typeof NotePostedEvent>;

export const NoteFailedEvent = envelope(
  Subjects.noteFailed,
  Type.Object(
    {
      ...linkFacts,
      uploadId: UploadId,
      destination: Provider,
      reason: Type.String({ minLength: 1, maxLength: 1000 }),
      failedAt: Timestamp,
    },
    { additionalProperties: false },
  ),
);
export type NoteFailedEvent = Static<typeof NoteFailedEvent>;

/** The schema of each subject's messages: what publishers and consumers validate against. */
export const EventSchemas = {
  [Subjects.linkCreated]: LinkCreatedEvent,
  [Subjects.linkExpired]: LinkExpiredEvent,
  [Subjects.linkRevoked]: LinkRevokedEvent,
  [Subjects.uploadCompleted]: UploadCompletedEvent,
  [Subjects.uploadRejected]: UploadRejectedEvent,
  [Subjects.uploadBlocked]: UploadBlockedEvent,
  [Subjects.notePosted]: NotePostedEvent,
  [Subjects.noteFailed]: NoteFailedEvent,
} as const satisfies Record<Subject, TSchema>;

export type EventOf<S extends Subject> = Static<(typeof EventSchemas)[S]>;
export type UplinkEvent = { [S in Subject]: EventOf<S> }[Subject];

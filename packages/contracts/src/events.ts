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
import { MAX_FILES_PER_SUBMISSION } from './media-types.ts';
import { type Subject, Subjects } from './subjects.ts';
import { CustomerMessage, UploadId, UploadKind } from './uploads.ts';

/** The schema version of every subject's events but `upload.completed` (see below). */
export const SCHEMA_VERSION = 1 as const;
/** `upload.completed` lists every file of the submission since version 2. */
export const UPLOAD_COMPLETED_SCHEMA_VERSION = 2 as const;

/**
 * Every event is this envelope around a subject-specific `data` payload. `version` is the
 * version of this payload's schema; a subject whose payload changed has one envelope per version.
 */
function envelope<S extends Subject, D extends TSchema, V extends number = typeof SCHEMA_VERSION>(
  type: S,
  data: D,
  version: V = SCHEMA_VERSION as V,
) {
  return Type.Object(
    {
      schemaVersion: Type.Literal(version),
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

/** Version 1: one file per link. Still valid, so events already in the streams stay consumable. */
export const UploadCompletedEventV1 = envelope(
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
export type UploadCompletedEventV1 = Static<typeof UploadCompletedEventV1>;

/** Version 2, what producers publish: every file of the submission and the customer's message. */
export const UploadCompletedEventV2 = envelope(
  Subjects.uploadCompleted,
  Type.Object(
    {
      ...linkFacts,
      contextMessage: Type.Optional(ContextMessage),
      files: Type.Array(UploadedFile, { minItems: 1, maxItems: MAX_FILES_PER_SUBMISSION }),
      customerMessage: Type.Optional(CustomerMessage),
      receivedAt: Timestamp,
    },
    { additionalProperties: false },
  ),
  UPLOAD_COMPLETED_SCHEMA_VERSION,
);
export type UploadCompletedEventV2 = Static<typeof UploadCompletedEventV2>;

/** A subject's schema accepts every version still in use: consumers read both. */
export const UploadCompletedEvent = Type.Union([UploadCompletedEventV1, UploadCompletedEventV2]);
export type UploadCompletedEvent = Static<typeof UploadCompletedEvent>;

/**
 * The files of an `upload.completed` of either version, in the order the customer sent them;
 * never empty (both schemas say so), so the first file needs no check.
 */
export function completedFiles(event: UploadCompletedEvent): [UploadedFile, ...UploadedFile[]] {
  if (event.schemaVersion === SCHEMA_VERSION) return [event.data.file];
  const [first, ...rest] = event.data.files;
  if (!first) throw new Error('upload.completed lists no file');
  return [first, ...rest];
}

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

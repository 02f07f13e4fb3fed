import {
  type Actor,
  type DeliveryTarget,
  type LinkCreatedEvent,
  type LinkExpiredEvent,
  type LinkRevokedEvent,
  type NoteFailedEvent,
  type NotePostedEvent,
  type Provider,
  SCHEMA_VERSION,
  type Subject,
  Subjects,
  UPLOAD_COMPLETED_SCHEMA_VERSION,
  type UploadBlockedEvent,
  type UploadCompletedEventV2,
  type UploadRejectedEvent,
} from '@uplink/contracts';
import { outboxEntry } from '@uplink/event-bus';
import type { BlockedUploadRecord, LinkDocument, LinkFacts, Submission } from './link-document.ts';

/** Each transition happens at most once per link, so this id is also its JetStream msgId. */
export function transitionEventId(linkId: string, subject: Subject): string {
  return `${linkId}:${subject}`;
}

function base<S extends Subject>(facts: LinkFacts, subject: S, now: Date) {
  return {
    schemaVersion: SCHEMA_VERSION,
    eventId: transitionEventId(facts._id, subject),
    type: subject,
    occurredAt: now.toISOString(),
    tenantId: facts.tenantId,
    linkId: facts._id,
  };
}

function facts(link: LinkFacts) {
  return { shortId: link.shortId, ticket: link.ticket, expiresAt: link.expiresAt.toISOString() };
}

export function linkCreatedEvent(doc: LinkDocument): LinkCreatedEvent {
  return {
    ...base(doc, Subjects.linkCreated, doc.createdAt),
    data: {
      ...facts(doc),
      validityHours: doc.validityHours,
      ...(doc.contextMessage !== undefined ? { contextMessage: doc.contextMessage } : {}),
      ...(doc.createdBy ? { createdBy: doc.createdBy } : {}),
    },
  };
}

export function linkExpiredEvent(link: LinkFacts, now: Date): LinkExpiredEvent {
  return { ...base(link, Subjects.linkExpired, now), data: { ...facts(link), expiredAt: now.toISOString() } };
}

export function linkRevokedEvent(link: LinkFacts, now: Date, revokedBy: Actor): LinkRevokedEvent {
  return {
    ...base(link, Subjects.linkRevoked, now),
    data: { ...facts(link), revokedAt: now.toISOString(), revokedBy },
  };
}

export function uploadCompletedEvent(
  link: LinkFacts & Pick<LinkDocument, 'contextMessage'>,
  submission: Submission,
  now: Date,
): UploadCompletedEventV2 {
  return {
    ...base(link, Subjects.uploadCompleted, now),
    schemaVersion: UPLOAD_COMPLETED_SCHEMA_VERSION,
    data: {
      ...facts(link),
      ...(link.contextMessage !== undefined ? { contextMessage: link.contextMessage } : {}),
      files: submission.files,
      ...(submission.customerMessage !== undefined ? { customerMessage: submission.customerMessage } : {}),
      receivedAt: now.toISOString(),
    },
  };
}

/** At most one per link (see LinkStore.noteRejectedAttempt), so the subject still makes a unique id. */
export function uploadRejectedEvent(link: LinkFacts, now: Date): UploadRejectedEvent {
  return {
    ...base(link, Subjects.uploadRejected, now),
    data: { ...facts(link), reason: 'receiving_disabled', rejectedAt: now.toISOString() },
  };
}

/** One per blocked upload: the upload's id makes the event's id (a link may see several). */
export function uploadBlockedEvent(link: LinkFacts, blocked: BlockedUploadRecord): UploadBlockedEvent {
  return {
    ...base(link, Subjects.uploadBlocked, blocked.blockedAt),
    eventId: `${transitionEventId(link._id, Subjects.uploadBlocked)}:${blocked.uploadId}`,
    data: {
      ...facts(link),
      uploadId: blocked.uploadId,
      fileName: blocked.fileName,
      signature: blocked.signature,
      blockedAt: blocked.blockedAt.toISOString(),
    },
  };
}

/** A link is delivered at most once, so the subject makes a unique id. */
export function notePostedEvent(
  link: LinkFacts,
  uploadId: string,
  target: DeliveryTarget,
  now: Date,
): NotePostedEvent {
  return {
    ...base(link, Subjects.notePosted, now),
    data: { ...facts(link), uploadId, target, postedAt: now.toISOString() },
  };
}

export function noteFailedEvent(
  link: LinkFacts,
  uploadId: string,
  destination: Provider,
  reason: string,
  now: Date,
): NoteFailedEvent {
  return {
    ...base(link, Subjects.noteFailed, now),
    data: {
      ...facts(link),
      uploadId,
      destination,
      reason: reason.slice(0, 1000),
      failedAt: now.toISOString(),
    },
  };
}

/** note.posted and note.failed name the first file: consumers from before submissions read that. */
const firstUploadId = (link: LinkDocument) => link.files?.[0]?.uploadId ?? '';

/**
 * The outbox entry each transition appends, whatever store makes it: both LinkStore adapters
 * call these, so the events cannot drift apart between them.
 */
export const transitionEntry = {
  created: (link: LinkDocument) => outboxEntry(Subjects.linkCreated, linkCreatedEvent(link), link.createdAt),
  revoked: (link: LinkFacts, now: Date, revokedBy: Actor) =>
    outboxEntry(Subjects.linkRevoked, linkRevokedEvent(link, now, revokedBy), now),
  expired: (link: LinkFacts, now: Date) =>
    outboxEntry(Subjects.linkExpired, linkExpiredEvent(link, now), now),
  received: (link: LinkDocument, submission: Submission, now: Date) =>
    outboxEntry(Subjects.uploadCompleted, uploadCompletedEvent(link, submission, now), now),
  rejected: (link: LinkFacts, now: Date) =>
    outboxEntry(Subjects.uploadRejected, uploadRejectedEvent(link, now), now),
  blocked: (link: LinkFacts, blocked: BlockedUploadRecord) =>
    outboxEntry(Subjects.uploadBlocked, uploadBlockedEvent(link, blocked), blocked.blockedAt),
  delivered: (link: LinkDocument, target: DeliveryTarget, now: Date) =>
    outboxEntry(Subjects.notePosted, notePostedEvent(link, firstUploadId(link), target, now), now),
  deliveryFailed: (link: LinkDocument, destination: Provider, reason: string, now: Date) =>
    outboxEntry(
      Subjects.noteFailed,
      noteFailedEvent(link, firstUploadId(link), destination, reason, now),
      now,
    ),
};

/**
 * Every JetStream subject Uplink publishes. One stream captures them all; the dead-letter
 * stream keeps what consumers refused, with the reason in a header.
 */
export const Subjects = {
  linkCreated: 'link.created',
  linkExpired: 'link.expired',
  linkRevoked: 'link.revoked',
  uploadCompleted: 'upload.completed',
  uploadRejected: 'upload.rejected',
  uploadBlocked: 'upload.blocked',
  notePosted: 'note.posted',
  noteFailed: 'note.failed',
} as const;

export type Subject = (typeof Subjects)[keyof typeof Subjects];

export const STREAM_NAME = 'UPLINK';
export const STREAM_SUBJECTS = ['link.>', 'upload.>', 'note.>'] as const;

export const DEAD_LETTER_STREAM_NAME = 'UPLINK_DEAD_LETTER';
export const DEAD_LETTER_SUBJECT_PREFIX = 'deadletter';
export const deadLetterSubject = (subject: string): string => `${DEAD_LETTER_SUBJECT_PREFIX}.${subject}`;

/** Message headers Uplink sets besides the W3C trace context (`traceparent`, `tracestate`). */
export const Headers = {
  eventType: 'Uplink-Event-Type',
  schemaVersion: 'Uplink-Schema-Version',
  deadLetterReason: 'Uplink-Dead-Letter-Reason',
  deadLetterConsumer: 'Uplink-Dead-Letter-Consumer',
} as const;

// Every event Uplink produces comes from a builder in a producer package; this proves each
// builder's output validates against its subject's schema, and that no subject lacks a producer.
import {
  completedFiles,
  EventSchemas,
  type Subject,
  Subjects,
  type UploadCompletedEvent,
  validateEvent,
} from '@uplink/contracts';
import { describe, expect, it } from 'vitest';
import type { LinkDocument } from './link-document.ts';
import {
  linkCreatedEvent,
  linkExpiredEvent,
  linkRevokedEvent,
  noteFailedEvent,
  notePostedEvent,
  uploadBlockedEvent,
  uploadCompletedEvent,
  uploadRejectedEvent,
} from './link-events.ts';

const link: LinkDocument = {
  _id: 'lnk_AbCdEfGhIjKlMnOpQrSt',
  tenantId: 'ten_AbCdEfGhIjKlMnOpQrSt',
  shortId: '3bc4',
  ticket: { provider: 'freshdesk', id: '4711' },
  tokenHash: 'x',
  contextMessage: 'A photo of the label, please',
  validityHours: 2,
  status: 'pending',
  createdAt: new Date('2026-11-23T10:00:00Z'),
  expiresAt: new Date('2026-11-23T12:00:00Z'),
  updatedAt: new Date('2026-11-23T10:00:00Z'),
  createdBy: {
    kind: 'agent',
    id: 'agent-7',
    name: 'Ada Agent',
    email: 'ada@acme.example',
    source: 'freshdesk',
  },
};
const revokedBy = { kind: 'api_key', keyPrefix: 'upk_AbCdEfGh', label: 'helpdesk app' } as const;
const now = new Date('2026-11-23T12:00:01Z');

const producers: Record<Subject, () => unknown> = {
  [Subjects.linkCreated]: () => linkCreatedEvent(link),
  [Subjects.linkExpired]: () => linkExpiredEvent(link, now),
  [Subjects.linkRevoked]: () => linkRevokedEvent(link, now, revokedBy),
  [Subjects.uploadCompleted]: () =>
    uploadCompletedEvent(
      link,
      {
        files: [
          {
            uploadId: 'upl_AbCdEfGhIjKlMnOpQrSt',
            kind: 'audio',
            category: 'audio',
            fileName: 'voice-message.webm',
            contentType: 'audio/webm',
            size: 48_213,
            container: 'uplink-uploads',
            // As completion names it: the verified copy of a day-prefixed random name (no tenant or link id).
            blobName: 'verified/2026-11-23/upl_AbCdEfGhIjKlMnOpQrSt',
            etag: '"0x8DD2A1B2C3D4E5F"',
          },
        ],
        customerMessage: 'The label is on the back.',
      },
      now,
    ),
  [Subjects.uploadRejected]: () => uploadRejectedEvent(link, now),
  [Subjects.uploadBlocked]: () =>
    uploadBlockedEvent(link, {
      uploadId: 'upl_AbCdEfGhIjKlMnOpQrSt',
      fileName: 'invoice.pdf',
      signature: 'Win.Trojan.Agent-1234',
      blockedAt: now,
    }),
  [Subjects.notePosted]: () =>
    notePostedEvent(
      link,
      'upl_AbCdEfGhIjKlMnOpQrSt',
      {
        destination: 'freshdesk',
        noteId: '5012',
        url: 'https://acme.freshdesk.com/a/tickets/4711',
        mode: 'attachment',
      },
      now,
    ),
  [Subjects.noteFailed]: () =>
    noteFailedEvent(
      link,
      'upl_AbCdEfGhIjKlMnOpQrSt',
      'freshdesk',
      'Freshdesk answered 404: ticket 4711 does not exist',
      now,
    ),
};

describe('event contracts', () => {
  it('has a producer for every subject with a schema', () => {
    expect(Object.keys(producers).sort()).toEqual(Object.keys(EventSchemas).sort());
  });

  it.each(Object.entries(producers))('%s: the producer payload validates', (subject, produce) => {
    const result = validateEvent(subject, produce());
    expect(result).toEqual({ ok: true, value: produce() });
  });

  it('validates a link.created without a context message', () => {
    const { contextMessage: _, ...bare } = link;
    expect(validateEvent(Subjects.linkCreated, linkCreatedEvent(bare)).ok).toBe(true);
  });

  it('names what is wrong with an invalid event', () => {
    const event = linkCreatedEvent(link) as unknown as Record<string, unknown>;
    const broken = { ...event, tenantId: 'nope', data: { ...(event.data as object), validityHours: 3 } };
    const result = validateEvent(Subjects.linkCreated, broken);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/tenantId: /),
        expect.stringMatching(/^\/data\/validityHours: /),
      ]),
    );
  });

  it('refuses an event published on the wrong subject, and unknown subjects', () => {
    expect(validateEvent(Subjects.linkExpired, linkCreatedEvent(link)).ok).toBe(false);
    expect(validateEvent('link.exploded', linkCreatedEvent(link))).toEqual({
      ok: false,
      problems: ['unknown subject link.exploded'],
    });
  });

  it('refuses unknown fields, so producers and consumers cannot drift apart silently', () => {
    const result = validateEvent(Subjects.linkRevoked, {
      ...linkRevokedEvent(link, now, revokedBy),
      extra: 1,
    });
    expect(result.ok).toBe(false);
  });

  it('carries who created and who revoked the link', () => {
    expect(linkCreatedEvent(link).data.createdBy).toStrictEqual(link.createdBy);
    expect(linkRevokedEvent(link, now, revokedBy).data.revokedBy).toStrictEqual(revokedBy);
  });

  it('still accepts events published before links recorded who did it', () => {
    // As published before createdBy and revokedBy existed: consumers must not dead-letter them.
    const facts = {
      shortId: '3bc4',
      ticket: { provider: 'freshdesk', id: '4711' },
      expiresAt: '2026-11-23T12:00:00.000Z',
    };
    const envelope = {
      schemaVersion: 1,
      tenantId: 'ten_AbCdEfGhIjKlMnOpQrSt',
      linkId: 'lnk_AbCdEfGhIjKlMnOpQrSt',
      occurredAt: '2026-11-23T10:00:00.000Z',
    };
    const oldCreated = {
      ...envelope,
      eventId: 'lnk_AbCdEfGhIjKlMnOpQrSt:link.created',
      type: 'link.created',
      data: { ...facts, validityHours: 2, contextMessage: 'A photo of the label, please' },
    };
    const oldRevoked = {
      ...envelope,
      eventId: 'lnk_AbCdEfGhIjKlMnOpQrSt:link.revoked',
      type: 'link.revoked',
      data: { ...facts, revokedAt: '2026-11-23T11:00:00.000Z' },
    };
    expect(validateEvent(Subjects.linkCreated, oldCreated)).toMatchObject({ ok: true });
    expect(validateEvent(Subjects.linkRevoked, oldRevoked)).toMatchObject({ ok: true });
    // And an actor that is neither an agent nor a key is refused.
    const badActor = { ...oldRevoked, data: { ...oldRevoked.data, revokedBy: { kind: 'robot' } } };
    expect(validateEvent(Subjects.linkRevoked, badActor).ok).toBe(false);
  });

  it('publishes upload.completed as version 2 and still accepts version 1', () => {
    const published = producers[Subjects.uploadCompleted]() as UploadCompletedEvent;
    expect(published.schemaVersion).toBe(2);
    const [file] = completedFiles(published);
    // As published before submissions held several files: one `file`, schema version 1.
    if (published.schemaVersion !== 2) throw new Error('expected version 2');
    const { files: _files, customerMessage: _message, ...current } = published.data;
    const v1 = { ...published, schemaVersion: 1, data: { ...current, file } };
    const checkedV1 = validateEvent(Subjects.uploadCompleted, v1);
    expect(checkedV1.ok).toBe(true);
    expect(completedFiles(v1 as UploadCompletedEvent)).toStrictEqual([file]);
    // A version says which shape: `files` under version 1, or `file` under 2, is refused.
    expect(validateEvent(Subjects.uploadCompleted, { ...published, schemaVersion: 1 }).ok).toBe(false);
    expect(validateEvent(Subjects.uploadCompleted, { ...v1, schemaVersion: 2 }).ok).toBe(false);
  });

  it("lists every file of a submission with the customer's message, which holds no control characters", () => {
    const published = producers[Subjects.uploadCompleted]() as UploadCompletedEvent;
    if (published.schemaVersion !== 2) throw new Error('expected version 2');
    const [first] = completedFiles(published);
    const second = { ...first, uploadId: 'upl_ZyXwVuTsRqPoNmLkJiHg', fileName: 'photo-2.jpg' };
    const withMessage = (customerMessage: string) => ({
      ...published,
      data: { ...published.data, files: [first, second], customerMessage },
    });
    const twoFiles = withMessage('Both labels.\nThe second is torn.');
    expect(validateEvent(Subjects.uploadCompleted, twoFiles).ok).toBe(true);
    expect(completedFiles(twoFiles)).toStrictEqual([first, second]);
    expect(validateEvent(Subjects.uploadCompleted, withMessage('bell \u0007')).ok).toBe(false);
    expect(validateEvent(Subjects.uploadCompleted, withMessage('a\rb')).ok).toBe(false);
    const noFiles = { ...published, data: { ...published.data, files: [] } };
    expect(validateEvent(Subjects.uploadCompleted, noFiles).ok).toBe(false);
  });
});

// The webhook destination against a local receiver: one signed POST per submission, every file in
// `files` with its read URL, the customer's message, and `file` (the first) for receivers written
// against version 1 of the payload. Storage is stood in for: its URLs are only passed on here.

import {
  completedFiles,
  UPLOAD_COMPLETED_SCHEMA_VERSION,
  type UploadCompletedEvent,
  type UploadedFile,
} from '@uplink/contracts';
import { EgressClient } from '@uplink/egress';
import { startWebhookReceiver, type WebhookReceiver } from '@uplink/testing/note-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/destinations/destination.ts';
import {
  DELIVERY_ID_HEADER,
  SIGNATURE_HEADER,
  verifyWebhook,
  WEBHOOK_PAYLOAD_VERSION,
  WebhookDestination,
} from '../src/destinations/webhook.ts';

const NOW = new Date('2026-11-23T10:05:00Z');
const HOUR_MS = 60 * 60 * 1000;
// The receiver listens on loopback, which only an operator's EGRESS_ALLOW_LOOPBACK lets Uplink call.
const egress = new EgressClient({ allowLoopback: true });
let receiver: WebhookReceiver;
let destination: WebhookDestination;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  destination = new WebhookDestination(
    { url: receiver.url, secret: receiver.secret },
    { linkTtlMs: 7 * 24 * HOUR_MS, egress, now: () => NOW },
  );
});

afterAll(async () => {
  await egress.close();
});

function file(uploadId: string, fileName: string, contentType: string, size: number): UploadedFile {
  return {
    uploadId,
    kind: 'file',
    category: contentType.startsWith('image/') ? 'image' : 'document',
    fileName,
    contentType,
    size,
    container: 'uplink-uploads',
    blobName: `ten/lnk/${uploadId}`,
    etag: '"0x1"',
  };
}

type TestDelivery = Delivery & { viewerLinksFor: string[] };

function delivery(event: UploadCompletedEvent): TestDelivery {
  const result: TestDelivery = {
    event,
    files: completedFiles(event),
    customerMessage:
      event.schemaVersion === UPLOAD_COMPLETED_SCHEMA_VERSION ? event.data.customerMessage : undefined,
    viewerLinksFor: [],
    openFile: async () => {
      throw new Error('the webhook passes read URLs, it never streams a file');
    },
    fileUrl: async (f, ttlMs) => `https://storage.example.test/${f.blobName}?ttl=${ttlMs}`,
    viewerUrl: async (f) => {
      result.viewerLinksFor.push(f.uploadId);
      return `https://files.example.test/f/${f.uploadId}`;
    },
    uncertain: false,
    signal: new AbortController().signal,
  };
  return result;
}

const linkFacts = {
  shortId: '3bc4',
  ticket: { provider: 'webhook' as const, id: 'case-9' },
  expiresAt: '2026-11-23T12:00:00Z',
  contextMessage: 'The label and the invoice, please',
  receivedAt: '2026-11-23T10:04:59Z',
};

const envelope = {
  eventId: 'lnk_AbCdEfGhIjKlMnOpQrSt:received',
  type: 'upload.completed' as const,
  occurredAt: '2026-11-23T10:05:00Z',
  tenantId: 'ten_AbCdEfGhIjKlMnOpQrSt',
  linkId: 'lnk_AbCdEfGhIjKlMnOpQrSt',
};

const PHOTO = file('upl_00000000000000000001', 'photo.jpg', 'image/jpeg', 2048);
const INVOICE = file('upl_00000000000000000002', 'invoice.pdf', 'application/pdf', 4096);

function lastPayload() {
  const last = receiver.received.at(-1);
  if (last === undefined) throw new Error('nothing received');
  return { ...last, payload: JSON.parse(last.body) };
}

describe('WebhookDestination', () => {
  it('posts one signed delivery with every file of a submission and the customer’s message', async () => {
    const d = delivery({
      ...envelope,
      schemaVersion: UPLOAD_COMPLETED_SCHEMA_VERSION,
      data: { ...linkFacts, files: [PHOTO, INVOICE], customerMessage: 'Both, as asked.\nThanks!' },
    });
    const before = receiver.received.length;

    const outcome = await destination.deliver(d);

    expect(receiver.received).toHaveLength(before + 1);
    const { headers, body, payload } = lastPayload();
    const deliveryId = `${envelope.linkId}:${PHOTO.uploadId}`;
    expect(outcome).toEqual({
      kind: 'posted',
      target: { noteId: deliveryId, url: `https://files.example.test/f/${PHOTO.uploadId}`, mode: 'link' },
    });
    expect(
      verifyWebhook(
        receiver.secret,
        body,
        headers[SIGNATURE_HEADER.toLowerCase()] as string,
        NOW.getTime() / 1000,
      ),
    ).toBe(true);
    expect(headers[DELIVERY_ID_HEADER.toLowerCase()]).toBe(deliveryId);
    const urlExpiresAt = new Date(NOW.getTime() + HOUR_MS).toISOString();
    const files = [
      {
        name: 'photo.jpg',
        contentType: 'image/jpeg',
        size: 2048,
        kind: 'file',
        category: 'image',
        url: `https://storage.example.test/${PHOTO.blobName}?ttl=${HOUR_MS}`,
        urlExpiresAt,
      },
      {
        name: 'invoice.pdf',
        contentType: 'application/pdf',
        size: 4096,
        kind: 'file',
        category: 'document',
        url: `https://storage.example.test/${INVOICE.blobName}?ttl=${HOUR_MS}`,
        urlExpiresAt,
      },
    ];
    expect(payload).toEqual({
      type: 'upload.received',
      version: WEBHOOK_PAYLOAD_VERSION,
      deliveryId,
      tenantId: envelope.tenantId,
      linkId: envelope.linkId,
      shortId: '3bc4',
      ticket: { provider: 'webhook', id: 'case-9' },
      contextMessage: 'The label and the invoice, please',
      customerMessage: 'Both, as asked.\nThanks!',
      receivedAt: '2026-11-23T10:04:59Z',
      files,
      file: files[0],
    });
    // One viewer link, the agent's "go to message": the first file's page.
    expect(d.viewerLinksFor).toEqual([PHOTO.uploadId]);
  });

  it('delivers an event of schema version 1 (already in the stream) as a one-file submission', async () => {
    const { contextMessage: _, ...withoutContext } = linkFacts;
    const d = delivery({ ...envelope, schemaVersion: 1, data: { ...withoutContext, file: INVOICE } });

    expect((await destination.deliver(d)).kind).toBe('posted');

    const { headers, payload } = lastPayload();
    // The same delivery id as version 1 of Uplink sent for it: a receiver drops a repeat.
    expect(headers[DELIVERY_ID_HEADER.toLowerCase()]).toBe(`${envelope.linkId}:${INVOICE.uploadId}`);
    expect(payload).toMatchObject({ contextMessage: null, customerMessage: null });
    expect(payload.files).toHaveLength(1);
    expect(payload.file).toEqual(payload.files[0]);
    expect(payload.file).toMatchObject({ name: 'invoice.pdf', size: 4096 });
  });
});

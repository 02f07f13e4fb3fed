// A submission of several files and a message, end to end: the files go in through the gateway's
// API (an intent and an upload each, then one submission), note-relay delivers them all at a
// destination double. Real NATS (or the embedded bus), MongoDB-wire (or SQLite) and Azurite.
import { completedFiles, Subjects, type UploadCompletedEvent } from '@uplink/contracts';
import { publishEvent } from '@uplink/event-bus';
import { startWorkers, stopWorkers } from '@uplink/kit';
import type { FreshdeskDouble, TwilioDouble } from '@uplink/saas-doubles';
import { eventually, pdfBytes } from '@uplink/testing';
import {
  type NoteRelayHarness,
  noteRelayHarness,
  type SubmittedFile,
  startDestinationDoubles,
  type WebhookReceiver,
} from '@uplink/testing/note-relay';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifyWebhook } from '../src/destinations/webhook.ts';

const MiB = 1024 * 1024;

let h: NoteRelayHarness;
let freshdesk: FreshdeskDouble;
let twilio: TwilioDouble;
let webhook: WebhookReceiver;

beforeAll(async () => {
  h = await noteRelayHarness({ attemptMs: 15_000 });
  ({ freshdesk, twilio, webhook } = await startDestinationDoubles(h));
}, 60_000);

/** Distinct small PDFs, each named. */
function pdfs(...names: string[]): SubmittedFile[] {
  return names.map((name, index) => ({
    bytes: pdfBytes(100 * (index + 1)),
    name,
    contentType: 'application/pdf',
  }));
}

/** A PDF of exactly `size` bytes (its content sniffs as a PDF). */
function largePdf(name: string, size: number): SubmittedFile {
  const bytes = new Uint8Array(size);
  bytes.set(pdfBytes());
  return { bytes, name, contentType: 'application/pdf' };
}

async function completedEvent(linkId: string): Promise<UploadCompletedEvent> {
  return eventually('upload.completed', async () =>
    (await h.gateway.completedEvents()).find((event) => event.linkId === linkId),
  );
}

describe('a submission of several files, end to end', () => {
  it('Freshdesk: one private note with every file attached and the customer’s message', async () => {
    freshdesk.addTicket({ id: 6101 });
    const files = pdfs('label.pdf', 'invoice.pdf', 'receipt.pdf');
    const { linkId, uploadIds } = await h.submit(
      { provider: 'freshdesk', id: '6101' },
      files,
      'All three, as asked <3\nThe receipt is the last one.',
    );

    const link = await h.settled(linkId);

    expect(link.status).toBe('delivered');
    const [note, ...others] = freshdesk.notes(6101);
    expect(others).toHaveLength(0);
    expect(note?.private).toBe(true);
    expect(note?.attachments.map((attachment) => attachment.name)).toEqual([
      'label.pdf',
      'invoice.pdf',
      'receipt.pdf',
    ]);
    expect(note?.attachments.map((attachment) => Buffer.from(attachment.bytes ?? []))).toEqual(
      files.map((file) => Buffer.from(file.bytes)),
    );
    expect(note?.body).toContain('All three, as asked &lt;3<br>The receipt is the last one.');
    expect(note?.json.body_text).toContain('the customer shared 3 files through the upload link');
    expect(note?.json.body_text).toContain(`Uplink reference: ${uploadIds[0]}`);
    expect(link.delivery?.target).toMatchObject({
      destination: 'freshdesk',
      noteId: String(note?.id),
      mode: 'attachment',
    });
    const posted = await eventually('note.posted', async () =>
      (await h.posted()).find((event) => event.linkId === linkId),
    );
    expect(posted.data.uploadId).toBe(uploadIds[0]);
  });

  it('Freshdesk: what the 20 MB cap leaves no room for is linked in the same note, its viewer link serving the bytes', async () => {
    freshdesk.addTicket({ id: 6102 });
    const big = largePdf('scan-1.pdf', 12 * MiB);
    const bigger = largePdf('scan-2.pdf', 10 * MiB);
    const small = pdfs('cover.pdf')[0] as SubmittedFile;
    const { linkId } = await h.submit({ provider: 'freshdesk', id: '6102' }, [big, bigger, small]);

    const link = await h.settled(linkId, 60_000);

    expect(link.status).toBe('delivered');
    const [note, ...others] = freshdesk.notes(6102);
    expect(others).toHaveLength(0);
    expect(note?.attachments.map((attachment) => [attachment.name, attachment.size])).toEqual([
      ['scan-1.pdf', 12 * MiB],
      ['cover.pdf', small.bytes.length],
    ]);
    expect(link.delivery?.target?.mode).toBe('attachment');
    const viewerUrl = new RegExp(`${h.gateway.baseUrl}/f/[A-Za-z0-9_-]{43}`).exec(note?.body ?? '')?.[0];
    if (!viewerUrl) throw new Error(`no viewer link in the note: ${note?.body}`);
    expect(note?.json.body_text).toContain(`scan-2.pdf (application/pdf, 10 MB): no room left`);
    const page = await fetch(viewerUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('scan-2.pdf');
    const download = /<a class="button primary" href="([^"]+)"/
      .exec(html)?.[1]
      ?.replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&');
    if (!download) throw new Error('no download button on the viewer page');
    const served = await fetch(download);
    expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(bigger.bytes))).toBe(true);
  }, 90_000);

  it('Twilio Flex: one media entry per file, each opening its own file', async () => {
    const taskSid = twilio.createTask({ attributes: { channel: 'chat' } });
    const { linkId, uploadIds } = await h.submit(
      { provider: 'twilio-flex', id: taskSid },
      pdfs('a.pdf', 'b.pdf', 'c.pdf'),
      'Three files',
    );

    expect((await h.settled(linkId)).status).toBe('delivered');
    const media = twilio.media(taskSid) as { url: string; title: string; uplink_upload_id: string }[];
    expect(media.map((entry) => [entry.title, entry.uplink_upload_id])).toEqual([
      ['a.pdf', uploadIds[0]],
      ['b.pdf', uploadIds[1]],
      ['c.pdf', uploadIds[2]],
    ]);
    for (const entry of media) {
      const page = await fetch(entry.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`<h2 id="file-name" class="file-name">${entry.title}</h2>`);
    }
    // The audit log says which file each viewer link note-relay made opens.
    const audited = await h.gateway.store.audit.list(h.gateway.tenantId, { linkId, limit: 20 });
    const created = audited.filter((entry) => entry.action === 'viewer_link.created');
    expect(created.map((entry) => [entry.details.uploadId, entry.details.fileName]).reverse()).toEqual([
      [uploadIds[0], 'a.pdf'],
      [uploadIds[1], 'b.pdf'],
      [uploadIds[2], 'c.pdf'],
    ]);
  });

  it('webhook: one signed delivery listing every file, each read URL serving its bytes, and the message', async () => {
    const files = pdfs('one.pdf', 'two.pdf');
    const { linkId } = await h.submit({ provider: 'webhook', id: 'case-61' }, files, 'Two of them');

    expect((await h.settled(linkId)).status).toBe('delivered');
    const hooks = webhook.received.filter((entry) => JSON.parse(entry.body).linkId === linkId);
    expect(hooks).toHaveLength(1);
    const [hook] = hooks;
    if (!hook) throw new Error('no webhook for the link');
    const signature = hook.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(verifyWebhook(webhook.secret, hook.body, signature, Math.floor(Date.now() / 1000))).toBe(true);
    const payload = JSON.parse(hook.body);
    expect(payload).toMatchObject({ version: 2, customerMessage: 'Two of them' });
    expect(payload.files.map((file: { name: string }) => file.name)).toEqual(['one.pdf', 'two.pdf']);
    expect(payload.file).toEqual(payload.files[0]);
    for (const [index, file] of (payload.files as { url: string }[]).entries()) {
      const download = await fetch(file.url);
      expect(Buffer.from(await download.arrayBuffer())).toEqual(Buffer.from(files[index]?.bytes ?? []));
    }
  });

  it('a redelivered upload.completed of a submission gives no second note', async () => {
    freshdesk.addTicket({ id: 6103 });
    const { linkId } = await h.submit({ provider: 'freshdesk', id: '6103' }, pdfs('x.pdf', 'y.pdf'));
    await h.settled(linkId);
    const original = await completedEvent(linkId);
    expect(completedFiles(original)).toHaveLength(2);

    // A new message id gets past the stream's de-duplication: the relay itself must hold.
    await publishEvent(h.bus, Subjects.uploadCompleted, original, { msgId: `${original.eventId}:again` });
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(freshdesk.notes(6103)).toHaveLength(1);
    expect((await h.posted()).filter((event) => event.linkId === linkId)).toHaveLength(1);
  });

  it('one file of a submission gone from storage fails the delivery, naming it, and calls no destination', async () => {
    freshdesk.addTicket({ id: 6104 });
    await stopWorkers(h.service);
    let linkId: string;
    try {
      ({ linkId } = await h.submit(
        { provider: 'freshdesk', id: '6104' },
        pdfs('photo-1.pdf', 'photo-2.pdf', 'photo-3.pdf'),
      ));
      const [, , third] = completedFiles(await completedEvent(linkId));
      if (!third) throw new Error('the submission lists three files');
      await h.gateway.storage.delete(third.blobName);
    } finally {
      await startWorkers(h.service);
    }

    const link = await h.settled(linkId);

    expect(link.status).toBe('delivery_failed');
    expect(link.delivery?.reason).toBe(
      'The file photo-3.pdf is missing from storage (deleted, or changed since it was verified), so none of the 3 files was delivered.',
    );
    expect(freshdesk.requests.filter((request) => request.ticketId === 6104)).toEqual([]);
  });
});

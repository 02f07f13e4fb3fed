import {
  completedFiles,
  Subjects,
  UPLOAD_COMPLETED_SCHEMA_VERSION,
  type UploadCompletedEvent,
  validateEvent,
} from '@uplink/contracts';
import { publishEvent, RetryLater } from '@uplink/event-bus';
import { hashSecret, prepareService, startWorkers, stopWorkers, systemClock } from '@uplink/kit';
import { buildLinkService } from '@uplink/link-service';
import { shareIdOf } from '@uplink/links';
import type { FreshdeskDouble, TwilioDouble } from '@uplink/saas-doubles';
import { eventually, pdfBytes } from '@uplink/testing';
import {
  type NoteRelayHarness,
  noteRelayHarness,
  startDestinationDoubles,
  type WebhookReceiver,
} from '@uplink/testing/note-relay';
import { API_KEY } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { FreshdeskDestination } from '../src/destinations/freshdesk.ts';
import { DELIVERY_ID_HEADER, SIGNATURE_HEADER, verifyWebhook } from '../src/destinations/webhook.ts';

let h: NoteRelayHarness;
let freshdesk: FreshdeskDouble;
let twilio: TwilioDouble;
let webhook: WebhookReceiver;

beforeAll(async () => {
  h = await noteRelayHarness({ attemptMs: 8_000 });
  ({ freshdesk, twilio, webhook } = await startDestinationDoubles(h, {
    freshdesk: {
      tickets: [{ id: 4711 }, { id: 4712, existingAttachmentBytes: 15 * 1024 * 1024 }, { id: 4713 }],
      // Repeatable fault draws, so the 30% test always meets some faults.
      seed: 7,
    },
  }));
}, 60_000);

describe('delivery end to end', () => {
  it('posts a private Freshdesk note with the exact bytes attached, and the link is delivered', async () => {
    const bytes = pdfBytes(3000);
    const { linkId } = await h.upload({ provider: 'freshdesk', id: '4711' }, bytes);
    const link = await h.settled(linkId);
    expect(link.status).toBe('delivered');
    const notes = freshdesk.notes(4711);
    expect(notes).toHaveLength(1);
    const note = notes[0];
    expect(note?.private).toBe(true);
    expect(note?.attachments[0]?.name).toBe('label.pdf');
    expect(Buffer.from(note?.attachments[0]?.bytes ?? [])).toEqual(Buffer.from(bytes));
    expect(link.delivery?.target).toMatchObject({
      destination: 'freshdesk',
      noteId: String(note?.id),
      url: `${freshdesk.url}/a/tickets/4711`,
      mode: 'attachment',
    });
    await expect.poll(async () => (await h.posted()).filter((e) => e.linkId === linkId)).toHaveLength(1);
  });

  it('shows the delivery target and a failure reason through the link API', async () => {
    const api = await buildLinkService({
      config: { PUBLIC_UPLOAD_BASE_URL: `${h.gateway.baseUrl}/u/`, UPLINK_BOOTSTRAP_API_KEY: API_KEY },
      logger: h.infra.logger,
      store: await h.infra.store(),
      bus: h.bus,
      clock: systemClock,
    });
    await prepareService(api);
    try {
      const { linkId } = await h.upload({ provider: 'freshdesk', id: '4711' }, pdfBytes());
      await h.settled(linkId);
      const headers = { authorization: `Bearer ${API_KEY}` };
      const one = await api.app.inject({ url: `/v1/links/${linkId}`, headers });
      expect(one.json()).toMatchObject({
        status: 'delivered',
        delivery: { destination: 'freshdesk', url: `${freshdesk.url}/a/tickets/4711`, mode: 'attachment' },
      });
      const list = await api.app.inject({ url: '/v1/tickets/freshdesk/4711/links', headers });
      expect(list.json().links[0]).toMatchObject({ id: linkId, status: 'delivered' });

      const failed = await h.upload({ provider: 'freshdesk', id: '999405' }, pdfBytes());
      await h.settled(failed.linkId);
      const failure = await api.app.inject({ url: `/v1/links/${failed.linkId}`, headers });
      expect(failure.json()).toMatchObject({
        status: 'delivery_failed',
        deliveryFailure: expect.stringMatching(/404/),
      });
    } finally {
      await api.app.close();
    }
  });

  it('adds one media entry to the Flex task and keeps the old ones', async () => {
    const taskSid = twilio.createTask({
      attributes: {
        conversations: { media: [{ type: 'Referenced', url: 'https://old.example/x', title: 'old' }] },
        channel: 'chat',
      },
    });
    const { linkId } = await h.upload({ provider: 'twilio-flex', id: taskSid }, pdfBytes());
    expect((await h.settled(linkId)).status).toBe('delivered');
    const media = twilio.media(taskSid);
    expect(media).toHaveLength(2);
    expect(media[0]).toMatchObject({ title: 'old' });
    expect(twilio.task(taskSid)?.attributes.channel).toBe('chat');
    // The entry is a viewer link (a revocable capability), not a raw storage URL.
    const entry = media[1] as { url: string; title: string };
    expect(entry.url).toMatch(new RegExp(`^${h.gateway.baseUrl}/f/[A-Za-z0-9_-]{43}$`));
    const page = await fetch(entry.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h2 id="file-name" class="file-name">label.pdf</h2>');
    // The audit log says note-relay made that viewer link, and that the page handed out the file.
    const shareId = shareIdOf(hashSecret(entry.url.slice(entry.url.lastIndexOf('/') + 1)));
    const audited = await h.gateway.store.audit.list(h.gateway.tenantId, { linkId, limit: 10 });
    expect(audited.map(({ action, actor }) => [action, actor])).toStrictEqual([
      ['file.downloaded', { kind: 'viewer_link', shareId }],
      ['viewer_link.created', { kind: 'system', name: 'note-relay' }],
      ['upload.accepted', expect.objectContaining({ kind: 'customer' })],
    ]);
    expect(audited[1]?.details).toMatchObject({ shareId, provider: 'twilio-flex' });
  });

  it('posts a signed webhook whose file URL serves the exact bytes', async () => {
    const bytes = pdfBytes(500);
    const { linkId } = await h.upload({ provider: 'webhook', id: 'case-77' }, bytes);
    expect((await h.settled(linkId)).status).toBe('delivered');
    const hook = webhook.received.find((entry) => JSON.parse(entry.body).linkId === linkId);
    if (!hook) throw new Error('no webhook for the link');
    const signature = hook.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(verifyWebhook(webhook.secret, hook.body, signature, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifyWebhook('another-secret-000000', hook.body, signature, Math.floor(Date.now() / 1000))).toBe(
      false,
    );
    expect(hook.headers[DELIVERY_ID_HEADER.toLowerCase()]).toContain(linkId);
    const payload = JSON.parse(hook.body);
    expect(payload.ticket).toEqual({ provider: 'webhook', id: 'case-77' });
    const download = await fetch(payload.file.url);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(Buffer.from(bytes));
  });

  it('gives one note for a redelivered upload.completed', async () => {
    const { linkId } = await h.upload({ provider: 'freshdesk', id: '4713' }, pdfBytes());
    await h.settled(linkId);
    const original = (await h.gateway.completedEvents()).find(
      (event) => event.linkId === linkId,
    ) as UploadCompletedEvent;
    // A new message id gets past the stream's de-duplication: the relay itself must hold.
    await publishEvent(h.bus, Subjects.uploadCompleted, original, { msgId: `${original.eventId}:again` });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(freshdesk.notes(4713)).toHaveLength(1);
    expect((await h.posted()).filter((e) => e.linkId === linkId)).toHaveLength(1);
  });

  it('recovers a note whose response was lost without posting it twice', async () => {
    freshdesk.addTicket({ id: 4714 });
    freshdesk.injectFaults({ type: 'reset', applyFirst: true });
    const { linkId } = await h.upload({ provider: 'freshdesk', id: '4714' }, pdfBytes());
    const link = await h.settled(linkId);
    expect(link.status).toBe('delivered');
    expect(link.delivery?.attempts).toBe(2);
    expect(freshdesk.notes(4714)).toHaveLength(1);
    expect(link.delivery?.target?.noteId).toBe(String(freshdesk.notes(4714)[0]?.id));
  });

  it('a relay killed after the POST and before its bookkeeping leaves no stuck link and no second note', async () => {
    freshdesk.addTicket({ id: 4716 });
    // Only this test's relay calls run: the consumer is stopped while the scenario is staged.
    await stopWorkers(h.service);
    try {
      const { linkId } = await h.upload({ provider: 'freshdesk', id: '4716' }, pdfBytes());
      const event = await eventually('upload.completed', async () =>
        (await h.gateway.completedEvents()).find((e) => e.linkId === linkId),
      );
      // The relay that dies: it claims the delivery, posts the note, and is gone before recording it.
      const leaseMs = 1_000;
      expect(await h.links.claimDelivery(linkId, new Date(), leaseMs)).not.toBeNull();
      const destination = new FreshdeskDestination(
        { baseUrl: freshdesk.url, apiKey: freshdesk.apiKey },
        { egress: h.egress },
      );
      const posted = await destination.deliver({
        event,
        files: completedFiles(event),
        customerMessage: undefined,
        openFile: (file) => h.gateway.storage.openRead(file.blobName, file.etag),
        fileUrl: async () => 'https://unused.example/',
        viewerUrl: async () => 'https://unused.example/f/',
        uncertain: false,
        signal: new AbortController().signal,
      });
      expect(posted.kind).toBe('posted');

      // Its message is redelivered while the lease still runs: the survivor waits for the lease.
      await expect(h.relay.handle(event, { deliveryCount: 1, isLastDelivery: false })).rejects.toBeInstanceOf(
        RetryLater,
      );
      expect((await h.link(linkId)).status).toBe('received');
      await new Promise((resolve) => setTimeout(resolve, leaseMs + 100));
      // After the lease the survivor claims, finds the dead attempt's note, and records it.
      await h.relay.handle(event, { deliveryCount: 1, isLastDelivery: false });
      const link = await h.link(linkId);
      expect(link.status).toBe('delivered');
      expect(link.delivery?.attempts).toBe(2);
      expect(freshdesk.notes(4716)).toHaveLength(1);
      expect(link.delivery?.target?.noteId).toBe(String(freshdesk.notes(4716)[0]?.id));
    } finally {
      await startWorkers(h.service);
    }
  });

  it('delivers an upload.completed of schema version 1 (one already in the stream) as before', async () => {
    freshdesk.addTicket({ id: 4717 });
    await stopWorkers(h.service);
    try {
      const bytes = pdfBytes(1200);
      const { linkId } = await h.upload({ provider: 'freshdesk', id: '4717' }, bytes);
      const published = await eventually('upload.completed', async () =>
        (await h.gateway.completedEvents()).find((e) => e.linkId === linkId),
      );
      if (published.schemaVersion !== UPLOAD_COMPLETED_SCHEMA_VERSION) throw new Error('expected version 2');
      // The same completion as an earlier Uplink published it: one `file`, no message.
      const [file] = completedFiles(published);
      const { files: _, customerMessage: __, ...facts } = published.data;
      const v1: UploadCompletedEvent = { ...published, schemaVersion: 1, data: { ...facts, file } };
      expect(validateEvent(Subjects.uploadCompleted, v1)).toEqual({ ok: true, value: v1 });

      await h.relay.handle(v1, { deliveryCount: 1, isLastDelivery: false });

      const link = await h.link(linkId);
      expect(link.status).toBe('delivered');
      const [note, ...others] = freshdesk.notes(4717);
      expect(others).toHaveLength(0);
      expect(note?.attachments.map((attachment) => attachment.name)).toEqual(['label.pdf']);
      expect(Buffer.from(note?.attachments[0]?.bytes ?? [])).toEqual(Buffer.from(bytes));
      expect(note?.json.body_text).toContain(`Uplink reference: ${file.uploadId}`);
      expect(link.delivery?.target?.noteId).toBe(String(note?.id));
    } finally {
      await startWorkers(h.service);
    }
    // The version 2 event of the same completion, consumed now, finds it delivered: no second note.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(freshdesk.notes(4717)).toHaveLength(1);
  });

  it('honours Retry-After on 429', async () => {
    freshdesk.addTicket({ id: 4715 });
    freshdesk.injectFaults({ type: 'rate-limit', retryAfterSeconds: 2 });
    const { linkId } = await h.upload({ provider: 'freshdesk', id: '4715' }, pdfBytes());
    expect((await h.settled(linkId)).status).toBe('delivered');
    const attempts = freshdesk.requests.filter((r) => r.ticketId === 4715 && r.method === 'POST');
    expect(attempts.map((r) => r.status)).toEqual([429, 201]);
    const waited = (attempts[1]?.receivedAt ?? 0) - (attempts[0]?.receivedAt ?? 0);
    expect(waited).toBeGreaterThanOrEqual(2_000);
  });

  it('ends a 404 ticket in delivery_failed with a reason and note.failed', async () => {
    const { linkId } = await h.upload({ provider: 'freshdesk', id: '999404' }, pdfBytes());
    const link = await h.settled(linkId);
    expect(link.status).toBe('delivery_failed');
    expect(link.delivery?.reason).toMatch(/404/);
    await expect.poll(async () => (await h.failed()).filter((e) => e.linkId === linkId)).toHaveLength(1);
  });

  it('links the file instead of attaching it when the ticket has no room left', async () => {
    const bytes = new Uint8Array(10 * 1024 * 1024);
    bytes.set(pdfBytes());
    const { linkId } = await h.upload({ provider: 'freshdesk', id: '4712' }, bytes);
    const link = await h.settled(linkId, 30_000);
    expect(link.status).toBe('delivered');
    expect(link.delivery?.target?.mode).toBe('link');
    const notes = freshdesk.notes(4712);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.attachments).toHaveLength(0);

    // The note links to the file's viewer page on the gateway, whose download serves the bytes.
    const viewerUrl = new RegExp(`${h.gateway.baseUrl}/f/[A-Za-z0-9_-]{43}`).exec(notes[0]?.body ?? '')?.[0];
    if (!viewerUrl) throw new Error(`no viewer link in the note: ${notes[0]?.body}`);
    expect(notes[0]?.body).not.toContain(h.gateway.storageOrigin);
    const page = await fetch(viewerUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('label.pdf');
    // As the browser reads the attribute: the SAS's `'` and `&` are escaped in the page.
    const download = /<a class="button primary" href="([^"]+)"/
      .exec(html)?.[1]
      ?.replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&');
    if (!download) throw new Error('no download button on the viewer page');
    expect(download.startsWith(h.gateway.storageOrigin)).toBe(true);
    const file = await fetch(download);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  }, 60_000);

  it('delivers every upload once through 30% injected 5xx and resets, some after the note was stored', async () => {
    const ids = [4801, 4802, 4803, 4804, 4805, 4806];
    for (const id of ids) freshdesk.addTicket({ id });
    freshdesk.setChaos({ serverErrorRate: 0.2, resetRate: 0.1 });
    try {
      const uploads = await Promise.all(
        ids.map((id) => h.upload({ provider: 'freshdesk', id: String(id) }, pdfBytes())),
      );
      const links = await Promise.all(uploads.map(({ linkId }) => h.settled(linkId, 60_000)));
      expect(links.map((link) => link.status)).toEqual(ids.map(() => 'delivered'));
      for (const id of ids) expect(freshdesk.notes(id)).toHaveLength(1);
      const faulted = freshdesk.requests.filter((r) => ids.includes(r.ticketId ?? 0) && r.fault);
      expect(faulted.length).toBeGreaterThan(0);
      expect(faulted.some((r) => r.error?.includes('after performing the request'))).toBe(true);
    } finally {
      freshdesk.setChaos({});
    }
  }, 90_000);
});

// The Freshdesk destination against the local Freshdesk double (a real HTTP server that parses the
// multipart body and enforces auth and the 20 MB per-ticket cap). Only the blob side is faked:
// `openFile` serves bytes from memory or a generator; the relay's end-to-end test reads real blobs.

import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  completedFiles,
  formatBytes,
  UPLOAD_COMPLETED_SCHEMA_VERSION,
  type UploadCompletedEvent,
  type UploadedFile,
} from '@uplink/contracts';
import { EgressClient } from '@uplink/egress';
import { escapeHtml } from '@uplink/kit';
import { type FreshdeskDouble, startFreshdeskDouble } from '@uplink/saas-doubles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/destinations/destination.ts';
import {
  DEFAULT_LINK_TTL_MS,
  FreshdeskDestination,
  freshdeskErrorDetail,
} from '../src/destinations/freshdesk.ts';

const MiB = 1024 * 1024;
const VIEWER_URL = 'https://files.uplink.test/f/Q2FwYWJpbGl0eS10b2tlbi1mb3ItdGVzdHMtMDAwMDA&x=1';

let double: FreshdeskDouble;
// The doubles listen on loopback, which only an operator's EGRESS_ALLOW_LOOPBACK lets Uplink call.
const egress = new EgressClient({ allowLoopback: true });
let destination: FreshdeskDestination;
let nextTicketId = 4700;

beforeAll(async () => {
  double = await startFreshdeskDouble();
  destination = new FreshdeskDestination({ baseUrl: double.url, apiKey: double.apiKey }, { egress });
});

afterAll(async () => {
  await egress.close();
  await double?.stop();
});

/** A fresh ticket on the double, so tests never see each other's notes. */
function newTicket(existingAttachmentBytes = 0, on: FreshdeskDouble = double): number {
  const id = nextTicketId++;
  on.addTicket({ id, existingAttachmentBytes });
  return id;
}

function newUploadId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return `upl_${Array.from(randomBytes(20), (byte) => alphabet[byte % alphabet.length]).join('')}`;
}

type FileSpec = {
  fileName?: string;
  contentType?: string;
  size: number;
  /** Changed or deleted since verification: openFile finds nothing. */
  gone?: boolean;
  /** A new stream of the file's bytes for each openFile call. */
  open: () => NodeJS.ReadableStream;
};

type TestDelivery = Delivery & {
  opened: number;
  linkTtls: number[];
  /** The files a viewer link was made for, by name, in order. */
  linked: string[];
};

/** A submission of one file or several (an event as producers publish it: version 2). */
function delivery(
  ticketId: number | string,
  specs: FileSpec | readonly FileSpec[],
  options: {
    contextMessage?: string;
    customerMessage?: string;
    uncertain?: boolean;
    signal?: AbortSignal;
    gone?: boolean;
    uploadId?: string;
  } = {},
): TestDelivery {
  const list = Array.isArray(specs) ? (specs as readonly FileSpec[]) : [specs as FileSpec];
  const opens = new Map<string, FileSpec>();
  const files = list.map((file, index): UploadedFile => {
    const uploadId = index === 0 && options.uploadId !== undefined ? options.uploadId : newUploadId();
    opens.set(uploadId, file);
    return {
      uploadId,
      kind: 'file',
      category: 'image',
      fileName: file.fileName ?? 'label-photo.png',
      contentType: file.contentType ?? 'image/png',
      size: file.size,
      container: 'uplink-uploads',
      blobName: `ten/lnk/${uploadId}`,
      etag: '"0x8DD2A1B2C3D4E5F"',
    };
  });
  const event: UploadCompletedEvent = {
    schemaVersion: UPLOAD_COMPLETED_SCHEMA_VERSION,
    eventId: `evt-${randomBytes(6).toString('hex')}`,
    type: 'upload.completed',
    occurredAt: '2026-11-23T10:05:00Z',
    tenantId: 'ten_AbCdEfGhIjKlMnOpQrSt',
    linkId: 'lnk_AbCdEfGhIjKlMnOpQrSt',
    data: {
      shortId: '3bc4',
      ticket: { provider: 'freshdesk', id: String(ticketId) },
      expiresAt: '2026-11-23T12:00:00Z',
      ...(options.contextMessage !== undefined ? { contextMessage: options.contextMessage } : {}),
      files,
      ...(options.customerMessage !== undefined ? { customerMessage: options.customerMessage } : {}),
      receivedAt: '2026-11-23T10:04:59Z',
    },
  };
  const result: TestDelivery = {
    event,
    files: completedFiles(event),
    customerMessage: options.customerMessage,
    opened: 0,
    linkTtls: [],
    linked: [],
    async openFile(file) {
      result.opened++;
      const spec = opens.get(file.uploadId);
      if (spec === undefined) throw new Error(`no file ${file.uploadId} in this delivery`);
      return options.gone || spec.gone ? undefined : { stream: spec.open(), size: spec.size };
    },
    async fileUrl() {
      throw new Error('agents get viewer links, never a raw storage URL');
    },
    async viewerUrl(file, ttlMs) {
      result.linkTtls.push(ttlMs);
      result.linked.push(file.fileName);
      return VIEWER_URL;
    },
    uncertain: options.uncertain ?? false,
    signal: options.signal ?? new AbortController().signal,
  };
  return result;
}

function named(fileName: string, contentType: string, spec: FileSpec): FileSpec {
  return { ...spec, fileName, contentType };
}

function bytesFile(bytes: Buffer, fileName?: string, contentType?: string): FileSpec {
  return {
    size: bytes.length,
    open: () => Readable.from([bytes]),
    ...(fileName !== undefined ? { fileName } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
  };
}

/** `size` bytes that exist only 64 KiB at a time; `onChunk` may hold the producer back. */
function generatedFile(size: number, onChunk: (chunk: Buffer) => void | Promise<void> = () => {}): FileSpec {
  return {
    size,
    open: () =>
      Readable.from(
        (async function* () {
          for (let produced = 0, index = 0; produced < size; index++) {
            const chunk = Buffer.alloc(Math.min(64 * 1024, size - produced), index % 251);
            produced += chunk.length;
            await onChunk(chunk);
            yield chunk;
          }
        })(),
        { objectMode: false },
      ),
  };
}

function posts(ticketId: number, on: FreshdeskDouble = double) {
  return on.requests.filter((r) => r.ticketId === ticketId && r.method === 'POST');
}

/** The one note the delivery posted, private, its target the ticket's page ("go to message"). */
function expectOnePrivateNote(ticketId: number, outcome: unknown, mode: 'attachment' | 'link') {
  const [note, ...others] = double.notes(ticketId);
  expect(others).toHaveLength(0);
  expect(outcome).toEqual({
    kind: 'posted',
    target: { noteId: String(note?.id), url: `${double.url}/a/tickets/${ticketId}`, mode },
  });
  expect(note?.private).toBe(true);
  return note;
}

describe('FreshdeskDestination', () => {
  it('posts a private note with the exact bytes attached, under the file name and type', async () => {
    const ticketId = newTicket();
    const bytes = randomBytes(1.5 * MiB);
    const d = delivery(ticketId, bytesFile(bytes, 'Label photo (back) — ü.png'), {
      contextMessage: 'A photo of the label on the back, please',
    });

    const outcome = await destination.deliver(d);

    const note = expectOnePrivateNote(ticketId, outcome, 'attachment');
    expect(note?.attachments).toHaveLength(1);
    const [attachment] = note?.attachments ?? [];
    expect(attachment?.name).toBe('Label photo (back) — ü.png');
    expect(attachment?.contentType).toBe('image/png');
    expect(attachment?.size).toBe(bytes.length);
    expect(attachment?.bytes?.equals(bytes)).toBe(true);

    const text = note?.json.body_text ?? '';
    expect(text.startsWith('In reply to #3bc4: A photo of the label on the back, please\n')).toBe(true);
    expect(text).toContain('Posted by Uplink: the customer shared a file through the upload link.');
    expect(text).toContain('Label photo (back) — ü.png (image/png, 1.5 MB)');
    expect(text).toContain(`Uplink reference: ${d.files[0].uploadId}`);
    expect(posts(ticketId).map((r) => r.status)).toEqual([201]);
  });

  it('escapes every interpolated value in the note body', async () => {
    const ticketId = newTicket();
    const hostileMessage = '<script>alert("x")</script> & <img src=x onerror=alert(1)>\nsecond line';
    const hostileName = '<img src=x onerror=alert(2)>.png';
    const d = delivery(ticketId, bytesFile(Buffer.from('tiny'), hostileName, 'image/png'), {
      contextMessage: hostileMessage,
    });

    expect((await destination.deliver(d)).kind).toBe('posted');

    const [note] = double.notes(ticketId);
    const body = note?.body ?? '';
    expect(body).not.toMatch(/<script|<img/i);
    expect(body).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;<br>second line',
    );
    expect(body).toContain('&lt;img src=x onerror=alert(2)&gt;.png');
    expect(note?.attachments[0]?.name).toBe(hostileName);
  });

  it('names the link it answers when the agent sent it without a message', async () => {
    const ticketId = newTicket();

    expect((await destination.deliver(delivery(ticketId, bytesFile(Buffer.from('tiny'))))).kind).toBe(
      'posted',
    );

    const [note] = double.notes(ticketId);
    expect(note?.json.body_text.startsWith('In reply to #3bc4.\nPosted by Uplink')).toBe(true);
  });

  it('fails permanently when Freshdesk refuses the API key', async () => {
    const ticketId = newTicket();
    const wrongKey = new FreshdeskDestination({ baseUrl: double.url, apiKey: 'not-the-key' }, { egress });

    const outcome = await wrongKey.deliver(delivery(ticketId, bytesFile(randomBytes(1000))));

    expect(outcome).toEqual({
      kind: 'failed',
      reason: `Freshdesk (${new URL(double.url).host}) refused the API key (401)`,
    });
    expect(double.notes(ticketId)).toHaveLength(0);
  });

  it('fails permanently, with a reason, when the ticket does not exist', async () => {
    const outcome = await destination.deliver(delivery(999_999, bytesFile(randomBytes(1000))));
    expect(outcome).toEqual({
      kind: 'failed',
      reason: `Freshdesk (${new URL(double.url).host}) has no ticket 999999 (404)`,
    });
  });

  it('refuses a ticket id Freshdesk cannot have without calling it', async () => {
    const before = double.requests.length;
    const outcome = await destination.deliver(delivery('ABC-12', bytesFile(randomBytes(10))));
    expect(outcome).toEqual({
      kind: 'failed',
      reason: 'Freshdesk ticket ids are numbers; "ABC-12" is not one',
    });
    expect(double.requests.length).toBe(before);
  });

  it('asks to retry after Retry-After on 429, and posts once on the next attempt', async () => {
    const ticketId = newTicket();
    const d = delivery(ticketId, bytesFile(randomBytes(4096)));
    double.injectFaults({ type: 'rate-limit', retryAfterSeconds: 7 });

    expect(await destination.deliver(d)).toEqual({
      kind: 'retry',
      reason: 'Freshdesk answered 429 (rate limited)',
      afterMs: 7000,
    });
    expect(double.notes(ticketId)).toHaveLength(0);
    expect((await destination.deliver(d)).kind).toBe('posted');
    expect(double.notes(ticketId)).toHaveLength(1);
  });

  it.each([503, 500] as const)('asks to retry on %s', async (status) => {
    const ticketId = newTicket();
    double.injectFaults({ type: 'server-error', status });

    const outcome = await destination.deliver(delivery(ticketId, bytesFile(randomBytes(64 * 1024))));

    expect(outcome).toMatchObject({ kind: 'retry', reason: `Freshdesk answered ${status}` });
    expect(double.notes(ticketId)).toHaveLength(0);
  });

  it('asks to retry on a reset connection', async () => {
    const ticketId = newTicket();
    double.injectFaults({ type: 'reset' });

    const outcome = await destination.deliver(delivery(ticketId, bytesFile(randomBytes(64 * 1024))));

    expect(outcome.kind).toBe('retry');
    expect(double.notes(ticketId)).toHaveLength(0);
  });

  it('asks to retry when Freshdesk does not answer in time', async () => {
    const ticketId = newTicket();
    const impatient = new FreshdeskDestination(
      { baseUrl: double.url, apiKey: double.apiKey },
      { requestTimeoutMs: 300, egress },
    );
    // Held unanswered for 5 s, then the connection is closed.
    double.injectFaults({ type: 'reset', delayMs: 5_000 });

    const started = performance.now();
    const outcome = await impatient.deliver(delivery(ticketId, bytesFile(randomBytes(1000))));

    expect(outcome).toEqual({ kind: 'retry', reason: 'Freshdesk did not answer within 300 ms' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('stops the request when the delivery is aborted', async () => {
    const ticketId = newTicket();
    double.setChaos({ latencyMs: 2_000 });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('shutting down')), 100);
      const outcome = await destination.deliver(
        delivery(ticketId, bytesFile(randomBytes(1000)), { signal: controller.signal }),
      );
      expect(outcome).toEqual({ kind: 'retry', reason: 'the attempt was stopped before Freshdesk answered' });
    } finally {
      double.setChaos({});
    }
  });

  it('fails when the verified file changed or is gone', async () => {
    const ticketId = newTicket();
    const outcome = await destination.deliver(delivery(ticketId, bytesFile(randomBytes(10)), { gone: true }));
    expect(outcome.kind).toBe('failed');
    expect(posts(ticketId)).toHaveLength(0);
  });

  it('asks to retry when the file cannot be read to the end, and posts nothing', async () => {
    const ticketId = newTicket();
    const breaking: FileSpec = {
      size: 2 * MiB,
      open: () =>
        Readable.from(
          (async function* () {
            yield randomBytes(MiB);
            throw new Error('blob connection dropped');
          })(),
          { objectMode: false },
        ),
    };
    const short: FileSpec = { size: 2 * MiB, open: () => Readable.from([randomBytes(MiB)]) };

    expect(await destination.deliver(delivery(ticketId, breaking))).toEqual({
      kind: 'retry',
      reason: 'reading the file failed: blob connection dropped',
    });
    expect(await destination.deliver(delivery(ticketId, short))).toEqual({
      kind: 'retry',
      reason: `the file ended after ${MiB} of ${2 * MiB} bytes`,
    });
    expect(double.notes(ticketId)).toHaveLength(0);
  });

  it('links the file instead when the ticket has no room left under the 20 MB cap', async () => {
    const ticketId = newTicket(15 * MiB);
    const d = delivery(ticketId, generatedFile(10 * MiB), { contextMessage: 'The screen recording, please' });

    const outcome = await destination.deliver(d);

    const note = expectOnePrivateNote(ticketId, outcome, 'link');
    expect(note?.attachments).toHaveLength(0);
    expect(note?.body).toContain(`href="${escapeHtml(VIEWER_URL)}"`);
    expect(note?.json.body_text).toContain(VIEWER_URL);
    expect(note?.json.body_text).toMatch(/The link works until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(note?.json.body_text).toContain('The screen recording, please');
    expect(note?.json.body_text).toContain(`Uplink reference: ${d.files[0].uploadId}`);
    expect(d.linkTtls).toEqual([DEFAULT_LINK_TTL_MS]);
    // The multipart attempt was refused for size, then the JSON note went through.
    expect(posts(ticketId).map((r) => r.status)).toEqual([400, 201]);

    // A repeat after a lost answer finds the link note, and says so.
    const again = await destination.deliver({ ...d, uncertain: true });
    expect(again).toEqual(outcome);
    expect(double.notes(ticketId)).toHaveLength(1);
  });

  it('links a file over 20 MB straight away, without sending it', async () => {
    const ticketId = newTicket();
    const d = delivery(ticketId, generatedFile(20 * MiB + 1));

    const outcome = await destination.deliver(d);

    expect(outcome).toMatchObject({ kind: 'posted', target: { mode: 'link' } });
    expect(d.opened).toBe(0);
    expect(posts(ticketId).map((r) => r.status)).toEqual([201]);
    expect(double.notes(ticketId)[0]?.json.body_text).toContain('larger than the 20 MB Freshdesk allows');
  });

  it('posts one note with every file of a submission attached, in order, and the customer’s message escaped', async () => {
    const ticketId = newTicket();
    const photo = randomBytes(MiB);
    const invoice = randomBytes(300_000);
    const voice = randomBytes(700_000);
    const d = delivery(
      ticketId,
      [
        bytesFile(photo, 'photo-1.png', 'image/png'),
        bytesFile(invoice, 'invoice.pdf', 'application/pdf'),
        bytesFile(voice, 'voice <note>.webm', 'audio/webm'),
      ],
      {
        contextMessage: 'The label and the invoice, please',
        customerMessage: 'Here they are <b>all</b> & more.\nThe voice note explains the rest.',
      },
    );

    const outcome = await destination.deliver(d);

    const note = expectOnePrivateNote(ticketId, outcome, 'attachment');
    expect(note?.attachments.map(({ name, contentType, size }) => ({ name, contentType, size }))).toEqual([
      { name: 'photo-1.png', contentType: 'image/png', size: photo.length },
      { name: 'invoice.pdf', contentType: 'application/pdf', size: invoice.length },
      { name: 'voice <note>.webm', contentType: 'audio/webm', size: voice.length },
    ]);
    expect(note?.attachments.map((attachment) => attachment.bytes)).toEqual([photo, invoice, voice]);
    const body = note?.body ?? '';
    expect(body).toContain(
      '<blockquote>Here they are &lt;b&gt;all&lt;/b&gt; &amp; more.<br>The voice note explains the rest.</blockquote>',
    );
    expect(body).not.toContain('<b>all</b>');
    expect(body).toContain(
      `<strong>voice &lt;note&gt;.webm</strong> (audio/webm, ${formatBytes(voice.length)}), attached to this note.`,
    );
    const text = note?.json.body_text ?? '';
    expect(text.startsWith('In reply to #3bc4: The label and the invoice, please\n')).toBe(true);
    expect(text).toContain('Posted by Uplink: the customer shared 3 files through the upload link.');
    expect(text).toContain(
      "The customer's message:\nHere they are <b>all</b> & more.\nThe voice note explains",
    );
    expect(text).toContain(`Uplink reference: ${d.files[0].uploadId}`);
    expect(d.linked).toEqual([]);
    // One request carries them all, each file read once.
    expect(posts(ticketId).map((r) => r.status)).toEqual([201]);
    expect(d.opened).toBe(3);
  });

  it('attaches greedily in order what fits the 20 MB cap and links the rest in the same note', async () => {
    const ticketId = newTicket();
    const d = delivery(ticketId, [
      named('first.mp4', 'video/mp4', generatedFile(12 * MiB)),
      named('second.mp4', 'video/mp4', generatedFile(10 * MiB)),
      named('huge.mp4', 'video/mp4', generatedFile(25 * MiB)),
      named('last.mp4', 'video/mp4', generatedFile(5 * MiB)),
    ]);

    const outcome = await destination.deliver(d);

    const [note, ...others] = double.notes(ticketId);
    expect(others).toHaveLength(0);
    expect(outcome).toMatchObject({
      kind: 'posted',
      target: { noteId: String(note?.id), mode: 'attachment' },
    });
    // 12 + 5 fit together; 10 more would take the ticket over 20 MB; 25 is over it alone.
    expect(note?.attachments.map(({ name, size }) => [name, size])).toEqual([
      ['first.mp4', 12 * MiB],
      ['last.mp4', 5 * MiB],
    ]);
    expect(d.linked).toEqual(['second.mp4', 'huge.mp4']);
    expect(d.linkTtls).toEqual([DEFAULT_LINK_TTL_MS, DEFAULT_LINK_TTL_MS]);
    // What is not attached is never read.
    expect(d.opened).toBe(2);
    const text = note?.json.body_text ?? '';
    expect(text).toContain(
      `second.mp4 (video/mp4, 10 MB): no room left under the 20 MB Freshdesk allows for all attachments of a ticket together, so it is linked instead: ${VIEWER_URL}`,
    );
    expect(text).toContain(
      `huge.mp4 (video/mp4, 25 MB): larger than the 20 MB Freshdesk allows for attachments, so it is linked instead: ${VIEWER_URL}`,
    );
    expect(text).toMatch(/The links work until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(posts(ticketId).map((r) => r.status)).toEqual([201]);
  }, 60_000);

  it('links every file of a submission when the ticket has no room left for what would be attached', async () => {
    const ticketId = newTicket(15 * MiB);
    const d = delivery(
      ticketId,
      [
        named('a.png', 'image/png', generatedFile(3 * MiB)),
        named('b.png', 'image/png', generatedFile(4 * MiB)),
      ],
      { customerMessage: 'Two photos' },
    );

    const outcome = await destination.deliver(d);

    const [note, ...others] = double.notes(ticketId);
    expect(others).toHaveLength(0);
    expect(outcome).toMatchObject({ kind: 'posted', target: { noteId: String(note?.id), mode: 'link' } });
    expect(note?.attachments).toEqual([]);
    expect(d.linked).toEqual(['a.png', 'b.png']);
    expect(note?.json.body_text).toContain('Two photos');
    expect(posts(ticketId).map((r) => r.status)).toEqual([400, 201]);
  });

  it('finds the note of a submission whose answer was lost instead of posting a second one', async () => {
    const ticketId = newTicket();
    const d = delivery(ticketId, [
      bytesFile(randomBytes(100_000), 'a.png'),
      bytesFile(randomBytes(200_000), 'b.png'),
    ]);
    double.injectFaults({ type: 'reset', applyFirst: true });

    expect((await destination.deliver(d)).kind).toBe('retry');
    const [stored] = double.notes(ticketId);
    expect(stored?.attachments).toHaveLength(2);

    const again = await destination.deliver({ ...d, uncertain: true });

    expect(again).toEqual({
      kind: 'posted',
      target: { noteId: String(stored?.id), url: `${double.url}/a/tickets/${ticketId}`, mode: 'attachment' },
    });
    expect(double.notes(ticketId)).toHaveLength(1);
  });

  it('asks to retry, naming the file, when a later file of the note is gone, and stores no note', async () => {
    const ticketId = newTicket();
    const d = delivery(ticketId, [
      bytesFile(randomBytes(100_000), 'a.png'),
      { ...bytesFile(randomBytes(100_000), 'photo-3.jpg', 'image/jpeg'), gone: true },
    ]);

    const outcome = await destination.deliver(d);

    expect(outcome).toEqual({
      kind: 'retry',
      reason:
        'photo-3.jpg: opening the file failed: The uploaded file photo-3.jpg changed or was deleted after it was verified, so it was not posted',
    });
    expect(double.notes(ticketId)).toHaveLength(0);
  });

  it('returns the note of an attempt whose answer was lost instead of posting a second one', async () => {
    const ticketId = newTicket();
    const d = delivery(ticketId, bytesFile(randomBytes(256 * 1024)));
    double.injectFaults({ type: 'reset', applyFirst: true });

    const first = await destination.deliver(d);
    expect(first.kind).toBe('retry');
    const [stored] = double.notes(ticketId);
    expect(stored).toBeDefined();

    const second = await destination.deliver({ ...d, uncertain: true });

    expect(second).toEqual({
      kind: 'posted',
      target: { noteId: String(stored?.id), url: `${double.url}/a/tickets/${ticketId}`, mode: 'attachment' },
    });
    expect(double.notes(ticketId)).toHaveLength(1);
    expect(
      double.requests.filter((r) => r.ticketId === ticketId).map((r) => `${r.method} ${r.path}`),
    ).toEqual([`POST /api/v2/tickets/${ticketId}/notes`, `GET /api/v2/tickets/${ticketId}/conversations`]);
  });

  it('posts when an uncertain attempt finds no earlier note', async () => {
    const ticketId = newTicket();
    // Another upload's note on the same ticket is not taken for this one.
    expect((await destination.deliver(delivery(ticketId, bytesFile(randomBytes(100))))).kind).toBe('posted');

    const outcome = await destination.deliver(
      delivery(ticketId, bytesFile(randomBytes(100)), { uncertain: true }),
    );

    const notes = double.notes(ticketId);
    expect(notes).toHaveLength(2);
    expect(outcome).toMatchObject({ kind: 'posted', target: { noteId: String(notes[1]?.id) } });
  });

  it('pages through the conversations to find the earlier note', async () => {
    // The double lists every conversation at once; this stand-in pages as Freshdesk documents it.
    const uploadId = newUploadId();
    const conversation = (id: number, body: string) => ({
      id,
      body,
      body_text: body,
      private: true,
      attachments: [],
    });
    const pages = [
      Array.from({ length: 100 }, (_, i) => conversation(i + 1, `other note ${i}`)),
      [conversation(101, `<p>Uplink reference: ${uploadId}</p>`)],
    ];
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://localhost');
      const page = Number(url.searchParams.get('page'));
      const body = JSON.stringify(pages[page - 1] ?? []);
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(page < pages.length
          ? { link: `<${url.pathname}?page=${page + 1}&per_page=100>; rel="next"` }
          : {}),
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const paged = new FreshdeskDestination({ baseUrl, apiKey: 'k' }, { egress });
      const outcome = await paged.deliver(
        delivery(77, bytesFile(randomBytes(10)), { uncertain: true, uploadId }),
      );
      expect(outcome).toEqual({
        kind: 'posted',
        target: { noteId: '101', url: `${baseUrl}/a/tickets/77`, mode: 'link' },
      });
      expect(seen).toEqual([
        '/api/v2/tickets/77/conversations?page=1&per_page=100',
        '/api/v2/tickets/77/conversations?page=2&per_page=100',
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('streams a 20 MB file: never more than a few chunks of it in memory', async () => {
    const lean = await startFreshdeskDouble({ retainAttachmentBytes: false });
    try {
      const ticketId = newTicket(0, lean);
      const streaming = new FreshdeskDestination({ baseUrl: lean.url, apiKey: lean.apiKey }, { egress });
      const gc = exposedGc();
      /** What is reachable after full collections (the second after array buffers were swept). */
      const live = async () => {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
        gc();
        const usage = process.memoryUsage();
        return usage.heapUsed + usage.arrayBuffers;
      };
      const size = 20 * MiB;
      const hash = createHash('sha256');
      const chunks: WeakRef<Buffer>[] = [];
      let produced = 0;
      let peakGrowth = 0;
      let peakChunks = 0;
      const baseline = await live();
      const file = generatedFile(size, async (chunk) => {
        hash.update(chunk);
        chunks.push(new WeakRef(chunk));
        produced += chunk.length;
        // Every 2 MiB: a body gathered before sending would show as growth towards the whole file,
        // and as chunks produced earlier still being reachable.
        if (produced % (2 * MiB) === 0) {
          peakGrowth = Math.max(peakGrowth, (await live()) - baseline);
          peakChunks = Math.max(peakChunks, chunks.filter((ref) => ref.deref() !== undefined).length);
        }
      });

      const outcome = await streaming.deliver(delivery(ticketId, file));
      const retained = (await live()) - baseline;

      expect(outcome).toMatchObject({ kind: 'posted', target: { mode: 'attachment' } });
      const attachment = lean.notes(ticketId)[0]?.attachments[0];
      expect(attachment?.size).toBe(size);
      expect(attachment?.sha256).toBe(hash.digest('hex'));
      console.info(
        `20 MiB streamed: at most ${peakChunks} chunks of 64 KiB reachable, peak growth ${formatBytes(Math.max(0, peakGrowth))} ` +
          `(the double in this process included), retained ${formatBytes(Math.max(0, retained))}`,
      );
      expect(peakChunks).toBeLessThanOrEqual(4);
      expect(peakGrowth).toBeLessThan(size / 2);
      expect(retained).toBeLessThan(size / 10);
    } finally {
      await lean.stop();
    }
  });

  it('reads both of Freshdesk’s error shapes into a reason', () => {
    expect(
      freshdeskErrorDetail(
        JSON.stringify({
          description: 'Validation failed',
          errors: [
            {
              field: 'body',
              message: 'It should not be blank as this is a mandatory field',
              code: 'invalid_value',
            },
            {
              field: 'user_id',
              message: 'Value set is of type String.It should be a/an Positive Integer',
              code: 'datatype_mismatch',
            },
          ],
        }),
      ),
    ).toBe(
      'body: It should not be blank as this is a mandatory field; user_id: Value set is of type String.It should be a/an Positive Integer',
    );
    expect(
      freshdeskErrorDetail(
        JSON.stringify({
          code: 'invalid_credentials',
          message: 'You have to be logged in to perform this action.',
        }),
      ),
    ).toBe('You have to be logged in to perform this action.');
    expect(freshdeskErrorDetail('')).toBe('');
    expect(freshdeskErrorDetail('<html>502</html>')).toBe('');
  });
});

/** `gc()` for measuring what is live; enabled at run time when the worker was not started with it. */
function exposedGc(): () => void {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as () => void;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

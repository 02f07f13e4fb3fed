import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES,
  type FreshdeskDouble,
  startFreshdeskDouble,
} from './freshdesk-double.ts';
import type { FreshdeskNoteJson } from './tickets.ts';

const MiB = 1024 * 1024;
// Built once: the large payloads are slices of one random buffer.
const random = randomBytes(10 * MiB);

const TICKET = 101;
const FULL_TICKET = 4711; // already holds 15 MB of attachments
const EDGE_TICKET = 4712; // 1000 bytes below the cap

let double: FreshdeskDouble;

beforeAll(async () => {
  double = await startFreshdeskDouble({
    apiKey: 'test-key',
    tickets: [
      { id: TICKET },
      { id: FULL_TICKET, existingAttachmentBytes: 15 * MiB },
      { id: EDGE_TICKET, existingAttachmentBytes: FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES - 1000 },
    ],
  });
});

afterAll(async () => {
  await double?.stop();
});

function auth(key = 'test-key'): string {
  return `Basic ${Buffer.from(`${key}:X`).toString('base64')}`;
}

interface File {
  readonly name: string;
  readonly type: string;
  readonly bytes: Uint8Array;
}

function form(fields: Record<string, string>, files: readonly File[] = []): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  for (const file of files)
    data.append('attachments[]', new Blob([file.bytes], { type: file.type }), file.name);
  return data;
}

function postNote(
  ticketId: number,
  body: FormData | string | object,
  authorization = auth(),
): Promise<Response> {
  const headers: Record<string, string> = { authorization };
  let payload: FormData | string;
  if (body instanceof FormData || typeof body === 'string') payload = body;
  else {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  return fetch(`${double.url}/api/v2/tickets/${ticketId}/notes`, { method: 'POST', headers, body: payload });
}

const BOUNDARY = 'd0uble-b0undary';

/** A multipart body by hand, for what FormData will not send: each part is [disposition tail, content]. */
function multipartBody(parts: readonly (readonly [string, string | Buffer])[]): Buffer {
  const pieces: Buffer[] = [];
  for (const [disposition, content] of parts) {
    pieces.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; ${disposition}\r\n\r\n`));
    pieces.push(Buffer.from(content), Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(pieces);
}

/** POSTs with chunked transfer encoding, written `chunkSize` bytes at a time. */
function rawPost(
  ticketId: number,
  body: Buffer,
  chunkSize = 64 * 1024,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${double.url}/api/v2/tickets/${ticketId}/notes`, {
      method: 'POST',
      headers: { authorization: auth(), 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    });
    req.on('response', async (res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += chunkSize) req.write(body.subarray(i, i + chunkSize));
    req.end();
  });
}

describe('Freshdesk double: POST /api/v2/tickets/{id}/notes', () => {
  it('refuses a missing or wrong API key with 401 invalid_credentials, any password is fine', async () => {
    const expected = {
      code: 'invalid_credentials',
      message: 'You have to be logged in to perform this action.',
    };
    const missing = await fetch(`${double.url}/api/v2/tickets/${TICKET}/notes`, {
      method: 'POST',
      body: form({ body: 'x' }),
    });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual(expected);
    const wrong = await postNote(TICKET, form({ body: 'x' }), auth('other-key'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual(expected);
    const anyPassword = await postNote(
      TICKET,
      form({ body: 'x' }),
      `Basic ${Buffer.from('test-key:whatever').toString('base64')}`,
    );
    expect(anyPassword.status).toBe(201);
  });

  it('stores a multipart note with the exact bytes, names and types, and answers like Freshdesk', async () => {
    const image = { name: 'Überweisung 2024.png', type: 'image/png', bytes: random.subarray(0, 300_000) };
    // Bytes that look like multipart framing must come through untouched.
    const framing = Buffer.from('\r\n--\r\n\r\n------WebKitFormBoundary\r\n');
    const text = { name: 'notes.txt', type: 'text/plain', bytes: framing };
    const before = double.notes(TICKET).length;
    const response = await postNote(
      TICKET,
      form({ body: '<p>Shared via <b>Uplink</b> &amp; more</p>', private: 'true' }, [image, text]),
    );
    expect(response.status).toBe(201);
    const json = (await response.json()) as FreshdeskNoteJson;
    expect(json).toMatchObject({
      ticket_id: TICKET,
      body: '<p>Shared via <b>Uplink</b> &amp; more</p>',
      body_text: 'Shared via Uplink & more',
      private: true,
      incoming: false,
    });
    expect(typeof json.id).toBe('number');
    expect(json.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(json.attachments.map(({ name, content_type, size }) => ({ name, content_type, size }))).toEqual([
      { name: image.name, content_type: 'image/png', size: 300_000 },
      { name: 'notes.txt', content_type: 'text/plain', size: framing.length },
    ]);
    expect(response.headers.get('location')).toBe(`${double.url}/api/v2/conversations/${json.id}`);

    const notes = double.notes(TICKET);
    expect(notes).toHaveLength(before + 1);
    const [storedImage, storedText] = notes.at(-1)?.attachments ?? [];
    expect(storedImage?.bytes?.equals(image.bytes)).toBe(true);
    expect(storedText?.bytes?.equals(framing)).toBe(true);
    expect(storedImage).toMatchObject({ name: image.name, contentType: 'image/png', size: 300_000 });
    expect(storedImage?.sha256).toBe(createHash('sha256').update(image.bytes).digest('hex'));

    const download = await fetch(json.attachments[0]?.attachment_url ?? '');
    expect(Buffer.from(await download.arrayBuffer()).equals(image.bytes)).toBe(true);
    const listed = await fetch(`${double.url}/api/v2/tickets/${TICKET}/conversations`, {
      headers: { authorization: auth() },
    });
    expect(((await listed.json()) as FreshdeskNoteJson[]).map((note) => note.id)).toContain(json.id);
  });

  it('parses a multipart body that arrives in small chunked-encoded pieces', async () => {
    const payload = random.subarray(1000, 101_000);
    const body = multipartBody([
      ['name="body"', '<p>chunked</p>'],
      ['name="private"', 'false'],
      ['name="attachments[]"; filename="clip.webm"\r\nContent-Type: video/webm', payload],
    ]);
    const { status } = await rawPost(TICKET, body, 4099);
    expect(status).toBe(201);
    const note = double.notes(TICKET).at(-1);
    expect(note).toMatchObject({ body: '<p>chunked</p>', private: false });
    expect(note?.attachments[0]?.bytes?.equals(payload)).toBe(true);
    expect(note?.attachments[0]?.contentType).toBe('video/webm');
  });

  it('refuses an attachment part without a filename or a Content-Type, and malformed multipart', async () => {
    const before = double.notes(TICKET).length;
    const untyped = await rawPost(
      TICKET,
      multipartBody([
        ['name="body"', 'x'],
        ['name="attachments[]"; filename="untyped.bin"', 'abc'],
      ]),
    );
    expect(untyped.status).toBe(400);
    expect(JSON.parse(untyped.text)).toEqual({
      description: 'Validation failed',
      errors: [
        {
          field: 'attachments',
          message: 'It should contain elements of type valid file format only',
          code: 'datatype_mismatch',
        },
      ],
    });
    const unterminated = multipartBody([['name="body"', 'x']]).subarray(0, -10);
    const malformed = await rawPost(TICKET, unterminated);
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text)).toMatchObject({ code: 'invalid_multipart' });
    expect(double.notes(TICKET)).toHaveLength(before);
  });

  it('accepts a JSON note without attachments', async () => {
    const response = await postNote(TICKET, { body: '<p>json</p>', private: true });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ body: '<p>json</p>', private: true, attachments: [] });
  });

  it('refuses a missing or blank body, unknown fields, wrong types and non-file attachments with 400', async () => {
    const before = double.notes(TICKET).length;
    const cases: [FormData | object, unknown[]][] = [
      [
        form({ private: 'true' }),
        [{ field: 'body', message: 'Mandatory attribute missing', code: 'missing_field' }],
      ],
      [
        form({ body: '   ' }),
        [
          {
            field: 'body',
            message: 'It should not be blank as this is a mandatory field',
            code: 'invalid_value',
          },
        ],
      ],
      [
        form({ body: 'x', private: 'yes', colour: 'red' }),
        [
          { field: 'colour', message: 'Unexpected/invalid field in request', code: 'invalid_field' },
          {
            field: 'private',
            message: 'Value set is of type String.It should be a/an Boolean',
            code: 'datatype_mismatch',
          },
        ],
      ],
      [
        form({ body: 'x', 'attachments[]': 'not a file' }),
        [
          {
            field: 'attachments',
            message: 'It should contain elements of type valid file format only',
            code: 'datatype_mismatch',
          },
        ],
      ],
      [
        { body: 42, private: 'true' },
        [
          {
            field: 'body',
            message: 'Value set is of type Integer.It should be a/an String',
            code: 'datatype_mismatch',
          },
          {
            field: 'private',
            message: 'Value set is of type String.It should be a/an Boolean',
            code: 'datatype_mismatch',
          },
        ],
      ],
    ];
    for (const [body, errors] of cases) {
      const response = await postNote(TICKET, body);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ description: 'Validation failed', errors });
    }
    expect(double.notes(TICKET)).toHaveLength(before);

    const plain = await postNote(TICKET, 'body=x');
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ code: 'invalid_content_type' });
  });

  it('enforces 20 MB for all attachments of a ticket together: 15 + 10 refused and nothing stored, 15 + 4 stored', async () => {
    const tenMiB = { name: 'big.mp4', type: 'video/mp4', bytes: random };
    const refused = await postNote(FULL_TICKET, form({ body: '<p>too big</p>' }, [tenMiB]));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      description: 'Validation failed',
      errors: [
        {
          field: 'attachments',
          message: 'It should not be larger than 20 MB (current size: 25 MB)',
          code: 'invalid_size',
        },
      ],
    });
    expect(double.notes(FULL_TICKET)).toHaveLength(0);
    expect(double.ticketAttachmentBytes(FULL_TICKET)).toBe(15 * MiB);

    const fourMiB = { name: 'fits.mp4', type: 'video/mp4', bytes: random.subarray(0, 4 * MiB) };
    const stored = await postNote(FULL_TICKET, form({ body: '<p>fits</p>' }, [fourMiB]));
    expect(stored.status).toBe(201);
    const [note] = double.notes(FULL_TICKET);
    expect(note?.attachments[0]?.bytes?.equals(fourMiB.bytes)).toBe(true);
    expect(double.ticketAttachmentBytes(FULL_TICKET)).toBe(19 * MiB);

    // A note without attachments still fits a full ticket.
    expect((await postNote(FULL_TICKET, form({ body: '<p>link instead</p>' }))).status).toBe(201);
  });

  it('counts every attachments[] part of one note against the 20 MB: 10 + 10 + 1 byte refused on an empty ticket, 10 + 10 stored', async () => {
    const empty = 4713;
    double.addTicket({ id: empty });
    const ten = (name: string) => ({ name, type: 'video/mp4', bytes: random });
    const oneByte = { name: 'c.bin', type: 'application/octet-stream', bytes: random.subarray(0, 1) };

    const refused = await postNote(empty, form({ body: 'x' }, [ten('a.mp4'), ten('b.mp4'), oneByte]));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      errors: [{ field: 'attachments', code: 'invalid_size' }],
    });
    expect(double.notes(empty)).toHaveLength(0);

    const stored = await postNote(empty, form({ body: 'x' }, [ten('a.mp4'), ten('b.mp4')]));
    expect(stored.status).toBe(201);
    expect(double.notes(empty)[0]?.attachments.map((attachment) => attachment.name)).toEqual([
      'a.mp4',
      'b.mp4',
    ]);
    expect(double.ticketAttachmentBytes(empty)).toBe(FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES);
  });

  it('allows exactly 20 MB and refuses one byte more', async () => {
    const exact = { name: 'a.bin', type: 'application/octet-stream', bytes: random.subarray(0, 1000) };
    expect((await postNote(EDGE_TICKET, form({ body: 'x' }, [exact]))).status).toBe(201);
    const oneByte = { name: 'b.bin', type: 'application/octet-stream', bytes: random.subarray(0, 1) };
    const refused = await postNote(EDGE_TICKET, form({ body: 'x' }, [oneByte]));
    expect(refused.status).toBe(400);
    expect(double.ticketAttachmentBytes(EDGE_TICKET)).toBe(FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES);
  });

  it('answers 404 with an empty body for an unknown ticket', async () => {
    const response = await postNote(999_999, form({ body: 'x' }));
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('');
    const get = await fetch(`${double.url}/api/v2/tickets/999999`, { headers: { authorization: auth() } });
    expect(get.status).toBe(404);
  });
});

describe('Freshdesk double: injected faults', () => {
  it('answers 429 with Retry-After, and the request log times the attempts', async () => {
    double.injectFaults({ type: 'rate-limit', retryAfterSeconds: 2 });
    const first = await postNote(TICKET, form({ body: 'rate limited' }));
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('0');
    const second = await postNote(TICKET, form({ body: 'rate limited' }));
    expect(second.status).toBe(201);
    const [a, b] = double.requests.slice(-2);
    expect([a?.status, a?.fault, b?.status, b?.fault]).toEqual([429, 'rate-limit', 201, null]);
    expect((b?.receivedAt ?? 0) - (a?.receivedAt ?? 0)).toBeGreaterThan(0);
  });

  it('injects 5xx answers, queued or by probability', async () => {
    double.injectFaults([
      { type: 'server-error', status: 503 },
      { type: 'server-error', status: 502 },
    ]);
    const unavailable = await postNote(TICKET, form({ body: 'x' }));
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('content-type')).toBe('text/html');
    expect((await postNote(TICKET, form({ body: 'x' }))).status).toBe(502);

    // Only the matching request gets a fault.
    double.injectFaults({ type: 'server-error' }, { method: 'POST', ticketId: FULL_TICKET });
    expect((await postNote(TICKET, form({ body: 'x' }))).status).toBe(201);
    expect((await postNote(FULL_TICKET, form({ body: 'x' }))).status).toBe(500);

    double.setChaos({ serverErrorRate: 1 });
    const before = double.notes(TICKET).length;
    const failed = await postNote(TICKET, form({ body: 'x' }));
    expect([500, 503]).toContain(failed.status);
    expect(double.requests.at(-1)?.fault).toBe('server-error');
    double.clearFaults();
    double.injectFaults({ type: 'server-error' });
    const internal = await postNote(TICKET, form({ body: 'x' }));
    expect(internal.status).toBe(500);
    expect(await internal.json()).toEqual({
      code: 'internal_error',
      message: "We're sorry, but something went wrong.",
    });
    // The random 5xx may have stored its note first (applyFirst); the scripted one did not.
    expect(double.notes(TICKET).length - before).toBeLessThanOrEqual(1);
    double.clearFaults();
    expect((await postNote(TICKET, form({ body: 'x' }))).status).toBe(201);
  });

  it('resets connections, holds requests until they time out, and loses responses after storing', async () => {
    double.injectFaults({ type: 'reset' });
    await expect(postNote(TICKET, form({ body: 'x' }))).rejects.toThrow();

    double.injectFaults({ type: 'reset', delayMs: 150 });
    const started = performance.now();
    await expect(postNote(TICKET, form({ body: 'x' }))).rejects.toThrow();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    const before = double.notes(TICKET).length;
    double.injectFaults({ type: 'reset', applyFirst: true });
    await expect(postNote(TICKET, form({ body: '<p>stored but unanswered</p>' }))).rejects.toThrow();
    expect(double.notes(TICKET)).toHaveLength(before + 1);
    expect(double.requests.slice(-3).map((r) => [r.fault, r.status, r.error])).toEqual([
      ['reset', null, 'injected reset'],
      ['reset', null, 'injected reset after 150 ms'],
      ['reset', null, 'injected reset after performing the request (would have answered 201)'],
    ]);
  });

  it('adds latency and rolls reproducible fault dice with a seed', async () => {
    double.setChaos({ latencyMs: 50 });
    const started = performance.now();
    expect((await postNote(TICKET, form({ body: 'slow' }))).status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    double.clearFaults();

    const sequences = await Promise.all(
      [1, 2].map(async () => {
        const seeded = await startFreshdeskDouble({
          seed: 7,
          chaos: { serverErrorRate: 0.3 },
          tickets: [{ id: 1 }],
        });
        try {
          const statuses: number[] = [];
          for (let i = 0; i < 30; i++) {
            const response = await fetch(`${seeded.url}/api/v2/tickets/1`, {
              headers: { authorization: `Basic ${Buffer.from(`${seeded.apiKey}:X`).toString('base64')}` },
            });
            await response.arrayBuffer();
            statuses.push(response.status);
          }
          return statuses;
        } finally {
          await seeded.stop();
        }
      }),
    );
    expect(sequences[0]).toEqual(sequences[1]);
    const faulted = sequences[0]?.filter((status) => status >= 500).length ?? 0;
    expect(faulted).toBeGreaterThan(0);
    expect(faulted).toBeLessThan(30);
  });

  it('can keep only sizes and SHA-256 of attachments, for benchmarks', async () => {
    const lean = await startFreshdeskDouble({ retainAttachmentBytes: false, tickets: [{ id: 1 }] });
    try {
      const bytes = random.subarray(0, 2 * MiB);
      const data = form({ body: 'x' }, [{ name: 'a.bin', type: 'application/octet-stream', bytes }]);
      const response = await fetch(`${lean.url}/api/v2/tickets/1/notes`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${lean.apiKey}:X`).toString('base64')}` },
        body: data,
      });
      expect(response.status).toBe(201);
      const [attachment] = lean.notes(1)[0]?.attachments ?? [];
      expect(attachment).toMatchObject({ size: 2 * MiB, bytes: null });
      expect(attachment?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    } finally {
      await lean.stop();
    }
  });

  it('waitForNotes resolves when a note lands', async () => {
    const waiting = double.waitForNotes(TICKET, double.notes(TICKET).length + 1, 2000);
    await postNote(TICKET, form({ body: 'awaited' }));
    const notes = await waiting;
    expect(notes.at(-1)?.body).toBe('awaited');
  });
});

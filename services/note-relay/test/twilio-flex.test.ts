// The Twilio Flex destination against the local TaskRouter double (a real HTTP server that checks
// auth, parses the form, enforces ETag / If-Match and injects 412 races, 429s, 5xx and resets).

import {
  completedFiles,
  UPLOAD_COMPLETED_SCHEMA_VERSION,
  type UploadCompletedEvent,
  type UploadedFile,
} from '@uplink/contracts';
import { EgressClient } from '@uplink/egress';
import {
  newTwilioSid,
  startTwilioDouble,
  type TwilioDouble,
  type TwilioJsonObject,
} from '@uplink/saas-doubles';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery, DeliveryOutcome } from '../src/destinations/destination.ts';
import { TwilioFlexDestination, UPLOAD_ID_FIELD } from '../src/destinations/twilio-flex.ts';

let twilio: TwilioDouble;
// The doubles listen on loopback, which only an operator's EGRESS_ALLOW_LOOPBACK lets Uplink call.
const egress = new EgressClient({ allowLoopback: true });
let uploadCounter = 0;

beforeAll(async () => {
  twilio = await startTwilioDouble({ seed: 7 });
});
afterEach(() => twilio.clearFaults());
afterAll(async () => {
  await egress.close();
  await twilio?.stop();
});

function destination(
  overrides: { authToken?: string; mediaEntry?: 'Referenced' | 'Embedded' } = {},
  options: Partial<ConstructorParameters<typeof TwilioFlexDestination>[1]> = {},
): TwilioFlexDestination {
  return new TwilioFlexDestination(
    {
      accountSid: twilio.accountSid,
      authToken: overrides.authToken ?? twilio.authToken,
      workspaceSid: twilio.workspaceSid,
      baseUrl: twilio.url,
      mediaEntry: overrides.mediaEntry ?? 'Referenced',
    },
    { requestTimeoutMs: 2_000, egress, ...options },
  );
}

function uploadId(): string {
  uploadCounter += 1;
  return `upl_${String(uploadCounter).padStart(20, '0')}`;
}

type TestDelivery = Delivery & { urlsMinted: number };

type FileSpec = { uploadId?: string; fileName?: string; kind?: 'audio' | 'video' | 'file' };

/** A submission of one file, or of several (an event as producers publish it: version 2). */
function delivery(
  ticketId: string,
  specs: FileSpec | readonly FileSpec[] = {},
  signal: AbortSignal = new AbortController().signal,
): TestDelivery {
  const files = (Array.isArray(specs) ? (specs as readonly FileSpec[]) : [specs as FileSpec]).map(
    (file): UploadedFile => {
      const id = file.uploadId ?? uploadId();
      return {
        uploadId: id,
        kind: file.kind ?? 'file',
        category: 'document',
        fileName: file.fileName ?? 'invoice.pdf',
        contentType: 'application/pdf',
        size: 1234,
        container: 'uploads',
        blobName: `ten/${id}`,
        etag: '"0x1"',
      };
    },
  );
  const event: UploadCompletedEvent = {
    schemaVersion: UPLOAD_COMPLETED_SCHEMA_VERSION,
    eventId: `evt-${files[0]?.uploadId}`,
    type: 'upload.completed',
    occurredAt: '2025-01-01T00:00:00.000Z',
    tenantId: 'ten_aaaaaaaaaaaaaaaaaaaa',
    linkId: 'lnk_bbbbbbbbbbbbbbbbbbbb',
    data: {
      shortId: '3bc4',
      ticket: { provider: 'twilio-flex', id: ticketId },
      expiresAt: '2025-01-01T02:00:00.000Z',
      contextMessage: 'Please send the invoice',
      receivedAt: '2025-01-01T00:00:00.000Z',
      files,
    },
  };
  const result: TestDelivery = {
    event,
    files: completedFiles(event),
    customerMessage: undefined,
    openFile: async () => undefined,
    fileUrl: async () => {
      throw new Error('agents get viewer links, never a raw storage URL');
    },
    viewerUrl: async (file, ttlMs) => {
      result.urlsMinted += 1;
      return `https://files.example.test/f/${file.uploadId}?ttl=${ttlMs}&n=${result.urlsMinted}`;
    },
    uncertain: false,
    signal,
    urlsMinted: 0,
  };
  return result;
}

/** Delivers until the outcome is not `retry`, as the relay's redelivery would (without its waits). */
async function deliverUntilSettled(
  dest: TwilioFlexDestination,
  d: Delivery,
  maxAttempts = 20,
): Promise<{ outcome: DeliveryOutcome; attempts: number }> {
  for (let attempts = 1; ; attempts += 1) {
    const outcome = await dest.deliver(d);
    if (outcome.kind !== 'retry' || attempts >= maxAttempts) return { outcome, attempts };
  }
}

const OLD_MEDIA: TwilioJsonObject[] = [
  { type: 'VoiceRecording', url: 'https://api.twilio.com/recordings/RE1', channels: ['customer', 'others'] },
  { type: 'ChatTranscript', sid: 'CH00000000000000000000000000000000' },
];

function ours(media: unknown[], id: string): unknown[] {
  return media.filter((m) => (m as Record<string, unknown>)[UPLOAD_ID_FIELD] === id);
}

describe('TwilioFlexDestination', () => {
  it('adds exactly one entry and keeps the old entries and every other attribute', async () => {
    const sid = twilio.createTask({
      attributes: {
        channel: 'chat',
        customer: { name: 'Ada' },
        conversations: { media: OLD_MEDIA, abandoned: 'No' },
      },
    });
    const d = delivery(sid, { fileName: 'invoice.pdf' });
    const outcome = await destination().deliver(d);

    expect(outcome).toEqual({
      kind: 'posted',
      target: { noteId: `${sid}:${d.files[0].uploadId}`, url: null, mode: 'link' },
    });
    const attributes = twilio.task(sid)?.attributes;
    expect(attributes?.channel).toBe('chat');
    expect(attributes?.customer).toEqual({ name: 'Ada' });
    expect(attributes?.conversations).toEqual({ media: expect.any(Array), abandoned: 'No' });
    const media = twilio.media(sid);
    expect(media).toHaveLength(3);
    expect(media.slice(0, 2)).toEqual(OLD_MEDIA);
    expect(media[2]).toEqual({
      type: 'Referenced',
      url: `https://files.example.test/f/${d.files[0].uploadId}?ttl=86400000&n=1`,
      title: 'invoice.pdf',
      [UPLOAD_ID_FIELD]: d.files[0].uploadId,
    });

    const posts = twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith(sid));
    expect(posts).toHaveLength(1);
    expect(posts[0]?.ifMatch).toMatch(/^".+"$/);
    expect(posts[0]?.user).toBe(twilio.accountSid);
    expect(posts[0]?.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.keys(posts[0]?.params ?? {})).toEqual(['Attributes']);
  });

  it('adds one entry per file of a submission in one update, in order, keeping the old entries', async () => {
    const sid = twilio.createTask({ attributes: { conversations: { media: OLD_MEDIA } } });
    const d = delivery(sid, [
      { fileName: 'photo-1.jpg' },
      { fileName: 'voice-note.webm', kind: 'audio' },
      { fileName: 'invoice.pdf' },
    ]);

    const outcome = await destination().deliver(d);

    expect(outcome).toEqual({
      kind: 'posted',
      target: { noteId: `${sid}:${d.files[0].uploadId}`, url: null, mode: 'link' },
    });
    const media = twilio.media(sid);
    expect(media.slice(0, 2)).toEqual(OLD_MEDIA);
    expect(media.slice(2)).toEqual(
      d.files.map((file, index) => ({
        type: 'Referenced',
        url: `https://files.example.test/f/${file.uploadId}?ttl=86400000&n=${index + 1}`,
        title: file.fileName,
        [UPLOAD_ID_FIELD]: file.uploadId,
      })),
    );
    expect(twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith(sid))).toHaveLength(1);
    expect(d.urlsMinted).toBe(3);
  });

  it('adds only the files of a submission not listed yet, and nothing when all are', async () => {
    const sid = twilio.createTask();
    const d = delivery(sid, [{ fileName: 'a.pdf' }, { fileName: 'b.pdf' }, { fileName: 'c.pdf' }]);
    // An earlier attempt wrote the first file's entry (as a single-file delivery would).
    const earlier = delivery(sid, { uploadId: d.files[0].uploadId, fileName: 'a.pdf' });
    expect((await destination().deliver(earlier)).kind).toBe('posted');

    expect((await destination().deliver({ ...d, uncertain: true })).kind).toBe('posted');
    const media = twilio.media(sid);
    expect(media.map((entry) => (entry as { title: string }).title)).toEqual(['a.pdf', 'b.pdf', 'c.pdf']);
    for (const file of d.files) expect(ours(media, file.uploadId)).toHaveLength(1);
    expect(d.urlsMinted).toBe(2);

    const posts = () => twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith(sid)).length;
    const before = posts();
    expect((await destination().deliver({ ...d, uncertain: true })).kind).toBe('posted');
    expect(posts()).toBe(before);
    expect(twilio.media(sid)).toHaveLength(3);
  });

  it('creates conversations.media when the task has none, with an Embedded entry when configured', async () => {
    const sid = twilio.createTask({ attributes: { from: '+15550100' } });
    const d = delivery(sid, { fileName: 'voice-note.webm', kind: 'audio' });
    expect((await destination({ mediaEntry: 'Embedded' }).deliver(d)).kind).toBe('posted');
    expect(twilio.task(sid)?.attributes.from).toBe('+15550100');
    expect(twilio.media(sid)).toEqual([
      expect.objectContaining({ type: 'Embedded', title: 'voice-note.webm' }),
    ]);
  });

  it('keeps numbers byte for byte (ids past 2^53, 1.0) in attributes it does not own', async () => {
    const sid = twilio.createTask();
    const raw = '{"crm_id":12345678901234567890,"score":1.0,"conversations":{"media":[]}}';
    const seed = await fetch(twilio.taskUrl(sid), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ Attributes: raw }).toString(),
    });
    expect(seed.status).toBe(200);

    expect((await destination().deliver(delivery(sid))).kind).toBe('posted');
    const json = twilio.task(sid)?.attributesJson ?? '';
    expect(json).toContain('"crm_id":12345678901234567890');
    expect(json).toContain('"score":1.0');
    expect(twilio.media(sid)).toHaveLength(1);
  });

  it('targets a reservation when the ticket id names one (WT…:WR…)', async () => {
    const reservation = newTwilioSid('WR');
    const other = newTwilioSid('WR');
    const sid = twilio.createTask({
      attributes: {
        conversations: { media: OLD_MEDIA },
        reservation_attributes: { [other]: { media: OLD_MEDIA.slice(0, 1) }, [reservation]: { wrapup: 'x' } },
      },
    });
    const d = delivery(`${sid}:${reservation}`);
    expect((await destination().deliver(d)).kind).toBe('posted');

    expect(twilio.media(sid)).toEqual(OLD_MEDIA);
    expect(twilio.media(sid, other)).toEqual(OLD_MEDIA.slice(0, 1));
    const mine = twilio.media(sid, reservation);
    expect(ours(mine, d.files[0].uploadId)).toHaveLength(1);
    const reservations = twilio.task(sid)?.attributes.reservation_attributes as Record<
      string,
      { wrapup?: string }
    >;
    expect(reservations[reservation]?.wrapup).toBe('x');

    // The `/` form of the brief is accepted too, and a reservation list is created when absent.
    const fresh = twilio.createTask();
    expect((await destination().deliver(delivery(`${fresh}/${reservation}`))).kind).toBe('posted');
    expect(twilio.media(fresh, reservation)).toHaveLength(1);
    expect(twilio.media(fresh)).toEqual([]);
  });

  it('loses no entry through three 412 races: theirs and ours all end up in the list', async () => {
    const sid = twilio.createTask({ attributes: { conversations: { media: OLD_MEDIA } } });
    twilio.raceNextUpdates(3, { taskSid: sid });
    const d = delivery(sid);
    const outcome = await destination().deliver(d);

    expect(outcome.kind).toBe('posted');
    const posts = twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith(sid));
    expect(posts.map((p) => p.status)).toEqual([412, 412, 412, 200]);
    const media = twilio.media(sid);
    const theirs = twilio.concurrentWrites.filter((w) => w.taskSid === sid).map((w) => w.entry);
    expect(theirs).toHaveLength(3);
    expect(media).toEqual([
      ...OLD_MEDIA,
      ...theirs,
      expect.objectContaining({ [UPLOAD_ID_FIELD]: d.files[0].uploadId }),
    ]);
    expect(d.urlsMinted).toBe(1);
  });

  it('loses no entry when a reservation list races', async () => {
    const reservation = newTwilioSid('WR');
    const sid = twilio.createTask();
    twilio.raceNextUpdates(2, { taskSid: sid, reservationSid: reservation });
    const d = delivery(`${sid}:${reservation}`);
    expect((await destination().deliver(d)).kind).toBe('posted');
    const media = twilio.media(sid, reservation);
    expect(media).toHaveLength(3);
    expect(ours(media, d.files[0].uploadId)).toHaveLength(1);
  });

  it('lets eight uploads to one task race each other and keeps all eight', async () => {
    const sid = twilio.createTask({ attributes: { conversations: { media: OLD_MEDIA } } });
    const dest = destination();
    const deliveries = Array.from({ length: 8 }, () => delivery(sid));
    const outcomes = await Promise.all(deliveries.map((d) => dest.deliver(d)));

    expect(outcomes.map((o) => o.kind)).toEqual(Array(8).fill('posted'));
    const media = twilio.media(sid);
    expect(media.slice(0, 2)).toEqual(OLD_MEDIA);
    for (const d of deliveries) expect(ours(media, d.files[0].uploadId)).toHaveLength(1);
    expect(media).toHaveLength(10);
    const conflicts = twilio.requests.filter((r) => r.path.endsWith(sid) && r.status === 412);
    expect(conflicts.length).toBeGreaterThan(0);
  });

  it('gives up on a task that keeps changing with retry, not failed', async () => {
    const sid = twilio.createTask();
    twilio.raceNextUpdates(5, { taskSid: sid });
    const outcome = await destination({}, { maxConflictRetries: 2 }).deliver(delivery(sid));
    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/kept changing.*412/) });
  });

  it('adds one entry when the same upload is delivered twice, and mints no second URL', async () => {
    const sid = twilio.createTask({ attributes: { conversations: { media: OLD_MEDIA } } });
    const dest = destination();
    const d = delivery(sid);
    const first = await dest.deliver(d);
    const second = await dest.deliver({ ...d, uncertain: true });
    expect(second).toEqual(first);
    expect(twilio.media(sid)).toHaveLength(3);
    expect(d.urlsMinted).toBe(1);
  });

  it('finds its entry after a POST that landed but answered 500, or whose connection reset', async () => {
    for (const fault of [
      { type: 'server-error', status: 500, applyFirst: true },
      { type: 'reset', applyFirst: true },
    ] as const) {
      const sid = twilio.createTask();
      twilio.injectFaults(fault, { method: 'POST', taskSid: sid });
      const d = delivery(sid);
      const dest = destination();
      expect((await dest.deliver(d)).kind).toBe('retry');
      expect(await dest.deliver(d)).toMatchObject({ kind: 'posted' });
      expect(twilio.media(sid)).toHaveLength(1);
    }
  });

  it('sends a completed or canceled task to the fallback', async () => {
    for (const status of ['completed', 'canceled'] as const) {
      const sid = twilio.createTask({ attributes: { conversations: { media: OLD_MEDIA } } });
      twilio.setTaskStatus(sid, status, 'done');
      const outcome = await destination().deliver(delivery(sid));
      expect(outcome).toEqual({
        kind: 'failed',
        reason: expect.stringContaining(`Task ${sid} is ${status} and can no longer be changed`),
        fallback: true,
      });
      expect(twilio.media(sid)).toEqual(OLD_MEDIA);
    }
  });

  it('sends a deleted task (404 after completion) to the fallback', async () => {
    const sid = twilio.createTask();
    twilio.setTaskStatus(sid, 'completed', 'done');
    twilio.deleteTask(sid);
    const outcome = await destination().deliver(delivery(sid));
    expect(outcome).toMatchObject({ kind: 'failed', fallback: true, reason: expect.stringContaining(sid) });
    expect(outcome.kind === 'failed' && outcome.reason).toMatch(/not found.*HTTP 404, code 20404/);
  });

  it('writes to a finished task while Twilio still accepts it', async () => {
    const lenient = await startTwilioDouble({ finalStateAttributeUpdates: 'accept' });
    try {
      const sid = lenient.createTask({ assignmentStatus: 'completed' });
      const dest = new TwilioFlexDestination(
        {
          accountSid: lenient.accountSid,
          authToken: lenient.authToken,
          workspaceSid: lenient.workspaceSid,
          baseUrl: lenient.url,
        },
        { egress },
      );
      expect((await dest.deliver(delivery(sid))).kind).toBe('posted');
      expect(lenient.media(sid)).toHaveLength(1);
    } finally {
      await lenient.stop();
    }
  });

  it('fails on refused credentials without a fallback', async () => {
    const sid = twilio.createTask();
    const outcome = await destination({ authToken: 'wrong' }).deliver(delivery(sid));
    expect(outcome).toEqual({
      kind: 'failed',
      reason: 'Twilio refused the credentials (HTTP 401, code 20003: Authenticate)',
    });
  });

  it('fails on a ticket id that names no task', async () => {
    const outcome = await destination().deliver(delivery('12345'));
    expect(outcome).toMatchObject({ kind: 'failed', reason: expect.stringContaining('12345') });
    expect(outcome).not.toHaveProperty('fallback');
  });

  it('refuses to overwrite attributes it cannot merge into, and sends the upload to the fallback', async () => {
    const sid = twilio.createTask({ attributes: { conversations: { media: 'not a list' } } });
    const outcome = await destination().deliver(delivery(sid));
    expect(outcome).toMatchObject({ kind: 'failed', fallback: true });
    expect(outcome.kind === 'failed' && outcome.reason).toMatch(/conversations\.media is not a list/);
    expect(twilio.task(sid)?.attributes.conversations).toEqual({ media: 'not a list' });
  });

  it('answers retry with Retry-After on 429, and retry on 503', async () => {
    const sid = twilio.createTask();
    twilio.injectFaults({ type: 'rate-limit', retryAfterSeconds: 3 }, { taskSid: sid });
    expect(await destination().deliver(delivery(sid))).toEqual({
      kind: 'retry',
      reason: 'TaskRouter answered 429 (rate limited)',
      afterMs: 3000,
    });
    twilio.injectFaults({ type: 'server-error', status: 503 }, { method: 'POST', taskSid: sid });
    expect(await destination().deliver(delivery(sid))).toEqual({
      kind: 'retry',
      reason: 'TaskRouter answered 503',
    });
    expect(twilio.media(sid)).toEqual([]);
  });

  it('answers retry when TaskRouter is slower than the request timeout', async () => {
    const sid = twilio.createTask();
    twilio.injectFaults({ type: 'slow', delayMs: 500 }, { method: 'GET', taskSid: sid });
    const outcome = await destination({}, { requestTimeoutMs: 100 }).deliver(delivery(sid));
    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringContaining('did not answer') });
  });

  it('stops when the delivery is aborted, without writing', async () => {
    const sid = twilio.createTask();
    const controller = new AbortController();
    controller.abort();
    const outcome = await destination().deliver(delivery(sid, {}, controller.signal));
    expect(outcome.kind).toBe('retry');
    expect(twilio.requests.filter((r) => r.path.endsWith(sid))).toHaveLength(0);

    // Aborted while waiting out a 412 backoff.
    const racing = twilio.createTask();
    twilio.raceNextUpdates(5, { taskSid: racing });
    const late = new AbortController();
    const pending = destination({}, { random: () => 1 }).deliver(delivery(racing, {}, late.signal));
    setTimeout(() => late.abort(), 30);
    expect((await pending).kind).toBe('retry');
    expect(twilio.media(racing)).toHaveLength(
      twilio.concurrentWrites.filter((w) => w.taskSid === racing).length,
    );
  });

  it('still delivers every upload exactly once under 30% injected 5xx, 429 and resets', async () => {
    twilio.setChaos({ serverErrorRate: 0.15, rateLimitRate: 0.05, resetRate: 0.1, retryAfterSeconds: 0 });
    const dest = destination();
    const attempts: number[] = [];
    const sid = twilio.createTask({ attributes: { conversations: { media: OLD_MEDIA } } });
    const deliveries = Array.from({ length: 20 }, () => delivery(sid));
    for (const d of deliveries) {
      const result = await deliverUntilSettled(dest, d);
      expect(result.outcome.kind).toBe('posted');
      attempts.push(result.attempts);
    }
    twilio.setChaos({});
    const media = twilio.media(sid);
    expect(media.slice(0, 2)).toEqual(OLD_MEDIA);
    for (const d of deliveries) expect(ours(media, d.files[0].uploadId)).toHaveLength(1);
    expect(media).toHaveLength(22);
    expect(Math.max(...attempts)).toBeLessThanOrEqual(10);
    expect(attempts.some((n) => n > 1)).toBe(true);
  });
});

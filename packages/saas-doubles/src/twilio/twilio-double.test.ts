import { afterEach, describe, expect, it } from 'vitest';
import {
  type TwilioJsonObject as JsonObject,
  newTwilioSid as newSid,
  startTwilioDouble,
  type TwilioDouble,
  type TwilioDoubleOptions,
} from './index.ts';

const OLD_MEDIA = { type: 'Referenced', url: 'https://example.com/old', title: 'old' };

let double: TwilioDouble | undefined;
afterEach(async () => {
  await double?.stop();
  double = undefined;
});

async function start(options: TwilioDoubleOptions = {}): Promise<{ d: TwilioDouble; sid: string }> {
  const sid = newSid('WT');
  double = await startTwilioDouble({
    tasks: [{ sid, attributes: { type: 'chat', conversations: { media: [OLD_MEDIA] } } }],
    ...options,
  });
  return { d: double, sid };
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function auth(d: TwilioDouble): Record<string, string> {
  return { Authorization: basic(d.accountSid, d.authToken) };
}

function getTask(d: TwilioDouble, sid: string): Promise<Response> {
  return fetch(d.taskUrl(sid), { headers: auth(d) });
}

function postTask(
  d: TwilioDouble,
  sid: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(d.taskUrl(sid), {
    method: 'POST',
    headers: { ...auth(d), 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });
}

/**
 * What a correct Flex client does: read, merge keeping every entry (and not adding its own twice),
 * write with If-Match, and on 412 start again from the read.
 */
async function addMedia(d: TwilioDouble, sid: string, entry: JsonObject): Promise<number> {
  for (let attempt = 1; attempt <= 50; attempt++) {
    const read = await getTask(d, sid);
    if (read.status !== 200) throw new Error(`unexpected ${read.status}`);
    const etag = read.headers.get('etag') ?? '';
    const task = (await read.json()) as { attributes: string };
    const attributes = JSON.parse(task.attributes) as { conversations?: { media?: JsonObject[] } };
    const conversations = attributes.conversations ?? {};
    const media = conversations.media ?? [];
    if (media.some((m) => m.url === entry.url)) return attempt;
    attributes.conversations = { ...conversations, media: [...media, entry] };
    const write = await postTask(d, sid, { Attributes: JSON.stringify(attributes) }, { 'If-Match': etag });
    if (write.status === 200) return attempt;
    if (write.status !== 412) throw new Error(`unexpected ${write.status}`);
  }
  throw new Error('gave up');
}

describe('Twilio TaskRouter double: fetch a task', () => {
  it('answers the task as Twilio does, with attributes as a JSON string and an ETag', async () => {
    const { d, sid } = await start();
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await getTask(d, sid);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const etag = res.headers.get('etag');
    expect(etag).toBe(d.task(sid)?.etag);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      sid,
      account_sid: d.accountSid,
      workspace_sid: d.workspaceSid,
      assignment_status: 'assigned',
      url: d.taskUrl(sid),
      reason: null,
    });
    expect(typeof body.attributes).toBe('string');
    expect(JSON.parse(body.attributes as string)).toEqual({
      type: 'chat',
      conversations: { media: [OLD_MEDIA] },
    });
    expect(body.date_created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(body.task_queue_sid).toMatch(/^WQ[0-9a-f]{32}$/);
  });

  it('refuses missing or wrong credentials with 401 and Twilio error 20003', async () => {
    const { d, sid } = await start();
    const expected = {
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    };
    for (const headers of [
      {},
      { Authorization: basic(d.accountSid, 'wrong-token') },
      { Authorization: basic(newSid('AC'), d.authToken) },
      { Authorization: `Bearer ${d.authToken}` },
    ]) {
      const res = await fetch(d.taskUrl(sid), { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect(await res.json()).toEqual(expected);
    }
    const post = await fetch(d.taskUrl(sid), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'Attributes=%7B%7D',
    });
    expect(post.status).toBe(401);
    expect(d.task(sid)?.updates).toBe(0);
  });

  it('answers 404 with error 20404 for an unknown task, another workspace or another path', async () => {
    const { d, sid } = await start();
    const unknown = newSid('WT');
    const res = await getTask(d, unknown);
    expect(res.status).toBe(404);
    const path = `/v1/Workspaces/${d.workspaceSid}/Tasks/${unknown}`;
    expect(await res.json()).toEqual({
      code: 20404,
      message: `The requested resource ${path} was not found`,
      more_info: 'https://www.twilio.com/docs/errors/20404',
      status: 404,
    });
    const otherWorkspace = `${d.url}/v1/Workspaces/${newSid('WS')}/Tasks/${sid}`;
    expect((await fetch(otherWorkspace, { headers: auth(d) })).status).toBe(404);
    expect((await fetch(`${d.url}/v1/Workspaces/${d.workspaceSid}/Tasks`, { headers: auth(d) })).status).toBe(
      404,
    );
    expect((await postTask(d, unknown, { Attributes: '{}' })).status).toBe(404);
    const del = await fetch(d.taskUrl(sid), { method: 'DELETE', headers: auth(d) });
    expect(del.status).toBe(405);
  });
});

describe('Twilio TaskRouter double: update a task', () => {
  it('replaces the whole attributes, changes the ETag and answers the task', async () => {
    const { d, sid } = await start();
    const before = d.task(sid);
    const attributes = {
      type: 'chat',
      conversations: { media: [OLD_MEDIA, { type: 'Referenced', url: 'u' }] },
    };
    const res = await postTask(d, sid, { Attributes: JSON.stringify(attributes) });
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag');
    expect(etag).not.toBe(before?.etag);
    expect(etag).toBe(d.task(sid)?.etag);
    const body = (await res.json()) as { attributes: string };
    expect(JSON.parse(body.attributes)).toEqual(attributes);
    expect(d.media(sid)).toHaveLength(2);

    // Replaced, not merged: keys left out are gone.
    await postTask(d, sid, { Attributes: '{"other":1}' });
    expect(d.task(sid)?.attributes).toEqual({ other: 1 });
    expect(d.media(sid)).toEqual([]);
    expect(d.task(sid)?.updates).toBe(2);
  });

  it('gives every version its own ETag, across tasks too', async () => {
    const { d, sid } = await start();
    const other = d.createTask({ attributes: {} });
    const seen = new Set([d.task(sid)?.etag, d.task(other)?.etag]);
    for (let i = 0; i < 5; i++) {
      const res = await postTask(d, sid, { Attributes: JSON.stringify({ i }) });
      seen.add(res.headers.get('etag') ?? '');
    }
    expect(seen.size).toBe(7);
  });

  it('accepts only a form body with known, single parameters', async () => {
    const { d, sid } = await start();
    const json = await fetch(d.taskUrl(sid), {
      method: 'POST',
      headers: { ...auth(d), 'Content-Type': 'application/json' },
      body: JSON.stringify({ Attributes: '{}' }),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ code: 20001, status: 400 });
    expect((await postTask(d, sid, { attributes: '{}' })).status).toBe(400);
    const twice = await fetch(d.taskUrl(sid), {
      method: 'POST',
      headers: { ...auth(d), 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'Attributes=%7B%7D&Attributes=%7B%7D',
    });
    expect(twice.status).toBe(400);
    expect(d.task(sid)?.updates).toBe(0);

    // Percent-encoding and a charset parameter are fine.
    const ok = await fetch(d.taskUrl(sid), {
      method: 'POST',
      headers: { ...auth(d), 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: `Attributes=${encodeURIComponent(JSON.stringify({ note: 'a&b=c ü' }))}`,
    });
    expect(ok.status).toBe(200);
    expect(d.task(sid)?.attributes).toEqual({ note: 'a&b=c ü' });
  });

  it('refuses Attributes that are not a JSON object, and leaves the task as it was', async () => {
    const { d, sid } = await start();
    const before = d.task(sid);
    for (const Attributes of ['{not json', '[1,2]', 'null', '"text"', '42', '']) {
      const res = await postTask(d, sid, { Attributes });
      expect(res.status, Attributes).toBe(400);
      expect(await res.json()).toMatchObject({ code: 20001, status: 400, more_info: expect.any(String) });
    }
    expect(d.task(sid)).toEqual(before);
  });

  it('enforces an Attributes size limit when given one', async () => {
    const { d, sid } = await start({ maxAttributesBytes: 64 });
    expect((await postTask(d, sid, { Attributes: JSON.stringify({ x: 'y'.repeat(100) }) })).status).toBe(400);
    expect((await postTask(d, sid, { Attributes: '{"x":1}' })).status).toBe(200);
  });

  it('answers 412 with error 20412 when If-Match is not the current ETag; no If-Match means no check', async () => {
    const { d, sid } = await start();
    const read = await getTask(d, sid);
    const etag = read.headers.get('etag') ?? '';
    d.setTaskAttributes(sid, { changed: 'elsewhere' });
    const stale = await postTask(d, sid, { Attributes: '{"mine":1}' }, { 'If-Match': etag });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toEqual({
      code: 20412,
      message: 'Precondition Failed',
      more_info: 'https://www.twilio.com/docs/errors/20412',
      status: 412,
    });
    expect(d.task(sid)?.attributes).toEqual({ changed: 'elsewhere' });
    // Compared verbatim: the ETag without its quotes is another value.
    const current = d.task(sid)?.etag ?? '';
    const unquoted = await postTask(
      d,
      sid,
      { Attributes: '{"mine":1}' },
      { 'If-Match': current.replaceAll('"', '') },
    );
    expect(unquoted.status).toBe(412);
    const fresh = await postTask(d, sid, { Attributes: '{"mine":1}' }, { 'If-Match': current });
    expect(fresh.status).toBe(200);
    const blind = await postTask(d, sid, { Attributes: '{"blind":1}' });
    expect(blind.status).toBe(200);
    expect(d.task(sid)?.attributes).toEqual({ blind: 1 });
  });

  it('validates AssignmentStatus moves and Priority', async () => {
    const { d, sid } = await start();
    expect((await postTask(d, sid, { AssignmentStatus: 'done' })).status).toBe(400);
    expect((await postTask(d, sid, { AssignmentStatus: 'completed' })).status).toBe(400); // no Reason
    expect((await postTask(d, sid, { AssignmentStatus: 'pending' })).status).toBe(400); // not an API move
    expect((await postTask(d, sid, { Priority: '-1' })).status).toBe(400);
    expect((await postTask(d, sid, { Priority: '5' })).status).toBe(200);
    expect((await postTask(d, sid, { AssignmentStatus: 'wrapping' })).status).toBe(200);
    const done = await postTask(d, sid, { AssignmentStatus: 'completed', Reason: 'resolved' });
    expect(done.status).toBe(200);
    expect(d.task(sid)).toMatchObject({ assignmentStatus: 'completed', reason: 'resolved', priority: 5 });
  });
});

describe('Twilio TaskRouter double: concurrent writers', () => {
  it('makes the next updates 412 with a concurrent entry; a correct client keeps every entry', async () => {
    const { d, sid } = await start();
    d.raceNextUpdates(3);
    const attempts = await addMedia(d, sid, {
      type: 'Referenced',
      url: 'https://uplink.test/v/1',
      title: 'mine',
    });
    expect(attempts).toBe(4);
    const media = d.media(sid) as JsonObject[];
    expect(media.map((m) => m.title)).toEqual([
      'old',
      'Concurrent writer 1',
      'Concurrent writer 2',
      'Concurrent writer 3',
      'mine',
    ]);
    expect(d.concurrentWrites).toHaveLength(3);
    const posts = d.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => [r.status, r.raced])).toEqual([
      [412, true],
      [412, true],
      [412, true],
      [200, false],
    ]);
  });

  it('lets a client that skips If-Match lose the concurrent entry, so a test can catch it', async () => {
    const { d, sid } = await start();
    const read = (await (await getTask(d, sid)).json()) as { attributes: string };
    const attributes = JSON.parse(read.attributes) as { conversations: { media: unknown[] } };
    attributes.conversations.media.push({
      type: 'Referenced',
      url: 'https://uplink.test/v/2',
      title: 'mine',
    });
    d.raceNextUpdates(1);
    const res = await postTask(d, sid, { Attributes: JSON.stringify(attributes) });
    expect(res.status).toBe(200);
    const titles = (d.media(sid) as JsonObject[]).map((m) => m.title);
    expect(titles).toEqual(['old', 'mine']);
    expect(d.concurrentWrites[0]?.entry?.title).toBe('Concurrent writer 1');
  });

  it('runs many clients at once against racing writers without losing an entry', async () => {
    const { d, sid } = await start();
    d.raceNextUpdates(5);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        addMedia(d, sid, { type: 'Referenced', url: `u${i}`, title: `c${i}` }),
      ),
    );
    const titles = (d.media(sid) as JsonObject[]).map((m) => m.title);
    expect(titles).toHaveLength(1 + 5 + 8);
    for (let i = 0; i < 8; i++) expect(titles).toContain(`c${i}`);
    for (let i = 1; i <= 5; i++) expect(titles).toContain(`Concurrent writer ${i}`);
  });

  it('can target one task, a reservation media list, or a custom writer', async () => {
    const { d, sid } = await start();
    const other = d.createTask({ attributes: {} });
    d.raceNextUpdates(1, { taskSid: other, reservationSid: 'WR1' });
    expect((await postTask(d, sid, { Attributes: '{"a":1}' })).status).toBe(200);
    expect((await postTask(d, other, { Attributes: '{"b":1}' })).status).toBe(200);
    expect(d.concurrentWrites.map((w) => w.taskSid)).toEqual([other]);

    d.raceNextUpdates(1, { reservationSid: 'WR1' });
    const etag = d.task(other)?.etag ?? '';
    expect((await postTask(d, other, { Attributes: '{"b":2}' }, { 'If-Match': etag })).status).toBe(412);
    expect(d.media(other, 'WR1')).toHaveLength(1);

    d.raceNextUpdates(1, { write: (attributes) => ({ ...attributes, agent: 'edited' }) });
    expect(
      (await postTask(d, sid, { Attributes: '{}' }, { 'If-Match': d.task(sid)?.etag ?? '' })).status,
    ).toBe(412);
    expect(d.task(sid)?.attributes).toEqual({ a: 1, agent: 'edited' });
  });
});

describe('Twilio TaskRouter double: finished tasks', () => {
  it('refuses attribute updates once a task is completed or canceled, and 404s once deleted', async () => {
    const { d, sid } = await start();
    for (const status of ['completed', 'canceled'] as const) {
      d.setTaskStatus(sid, status, 'done');
      const etag = d.task(sid)?.etag ?? '';
      const res = await postTask(d, sid, { Attributes: '{"late":1}' }, { 'If-Match': etag });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        code: 20001,
        status: 400,
        message: expect.stringContaining(status),
      });
      expect((await getTask(d, sid)).status).toBe(200);
    }
    expect(d.media(sid)).toEqual([OLD_MEDIA]);
    d.deleteTask(sid);
    expect((await getTask(d, sid)).status).toBe(404);
    expect((await postTask(d, sid, { Attributes: '{}' })).status).toBe(404);
  });

  it('can accept updates of finished tasks instead', async () => {
    const { d, sid } = await start({ finalStateAttributeUpdates: 'accept' });
    d.setTaskStatus(sid, 'completed', 'done');
    expect((await postTask(d, sid, { Attributes: '{"late":1}' })).status).toBe(200);
  });
});

describe('Twilio TaskRouter double: faults', () => {
  it('answers 429 with Retry-After and Twilio error 20429', async () => {
    const { d, sid } = await start();
    d.injectFaults({ type: 'rate-limit', retryAfterSeconds: 2 });
    const res = await getTask(d, sid);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({
      code: 20429,
      message: 'Too Many Requests',
      more_info: 'https://www.twilio.com/docs/errors/20429',
      status: 429,
    });
    expect((await getTask(d, sid)).status).toBe(200);
  });

  it('answers 5xx before or after applying an update, and resets connections', async () => {
    const { d, sid } = await start();
    d.injectFaults([{ type: 'server-error', status: 503 }], { method: 'POST' });
    expect((await getTask(d, sid)).status).toBe(200); // the fault waits for a POST
    const refused = await postTask(d, sid, { Attributes: '{"a":1}' });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: 20503, status: 503 });
    expect(d.task(sid)?.updates).toBe(0);

    d.injectFaults({ type: 'server-error', applyFirst: true });
    expect((await postTask(d, sid, { Attributes: '{"a":2}' })).status).toBe(500);
    expect(d.task(sid)?.attributes).toEqual({ a: 2 }); // it landed although the client saw a 500

    d.injectFaults([{ type: 'reset' }, { type: 'reset', applyFirst: true }]);
    await expect(postTask(d, sid, { Attributes: '{"a":3}' })).rejects.toThrow();
    expect(d.task(sid)?.attributes).toEqual({ a: 2 });
    await expect(postTask(d, sid, { Attributes: '{"a":4}' })).rejects.toThrow();
    expect(d.task(sid)?.attributes).toEqual({ a: 4 });
    expect(d.requests.map((r) => r.status).slice(-2)).toEqual(['reset', 'reset']);
  });

  it('delays answers, by a slow fault or by chaos latency', async () => {
    const { d, sid } = await start();
    d.injectFaults({ type: 'slow', delayMs: 150 });
    let started = performance.now();
    expect((await getTask(d, sid)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    d.setChaos({ latencyMs: [40, 60] });
    started = performance.now();
    await getTask(d, sid);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('injects random 5xx and 429 at the configured rates, reproducibly for a seed', async () => {
    const run = async (seed: number): Promise<(number | 'reset')[]> => {
      const { d, sid } = await start({ seed, chaos: { serverErrorRate: 0.3, rateLimitRate: 0.1 } });
      const statuses: (number | 'reset')[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await getTask(d, sid)).status);
      await d.stop();
      return statuses;
    };
    const first = await run(7);
    expect(await run(7)).toEqual(first);
    const failures = first.filter((s) => s !== 200).length;
    expect(failures).toBeGreaterThan(10);
    expect(failures).toBeLessThan(40);
    expect(first).toContain(429);
    expect(first.some((s) => s === 500 || s === 503)).toBe(true);
    await expect(startTwilioDouble({ chaos: { serverErrorRate: 0.8, rateLimitRate: 0.5 } })).rejects.toThrow(
      /more than 1/,
    );
  });

  it('a correct client still delivers through 30% faults and concurrent writers', async () => {
    const { d, sid } = await start({ seed: 3, chaos: { serverErrorRate: 0.3 } });
    d.raceNextUpdates(3);
    const add = async (entry: JsonObject): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        try {
          await addMedia(d, sid, entry);
          return;
        } catch {
          // a 5xx: retry from the read
        }
      }
      throw new Error('gave up');
    };
    await add({ type: 'Referenced', url: 'u1', title: 'one' });
    await add({ type: 'Referenced', url: 'u2', title: 'two' });
    const titles = (d.media(sid) as JsonObject[]).map((m) => m.title);
    expect(titles).toContain('one');
    expect(titles).toContain('two');
    expect(titles).toContain('old');
    expect(d.concurrentWrites.length).toBeGreaterThan(0);
  });
});

describe('Twilio TaskRouter double: setup', () => {
  it('uses the given credentials and refuses malformed SIDs', async () => {
    const accountSid = `AC${'a'.repeat(32)}`;
    const workspaceSid = `WS${'b'.repeat(32)}`;
    const d = await startTwilioDouble({ accountSid, authToken: 'token', workspaceSid });
    double = d;
    expect(d.taskUrl(`WT${'c'.repeat(32)}`)).toBe(
      `${d.url}/v1/Workspaces/${workspaceSid}/Tasks/WT${'c'.repeat(32)}`,
    );
    expect(() => d.createTask({ sid: 'WT1' })).toThrow(/32 hex/);
    await expect(startTwilioDouble({ accountSid: 'AC1' })).rejects.toThrow(/accountSid/);
    await d.stop();
    await d.stop();
  });
});

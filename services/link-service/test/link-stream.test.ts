import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type StreamTicket, Subjects } from '@uplink/contracts';
import type { EventBus, MessageSource, StreamMessage } from '@uplink/event-bus';
import { stopWorkers, systemClock } from '@uplink/kit';
import { eventually, streamMessages } from '@uplink/testing';
import {
  API_KEY,
  auth,
  type LinkServiceHarness,
  linkServiceHarness,
  OTHER_API_KEY,
} from '@uplink/testing/link-service';
import { beforeAll, describe, expect, it } from 'vitest';
import { LinkEventsFeed } from '../src/link-events-feed.ts';

let h: LinkServiceHarness;
let base: string;
beforeAll(async () => {
  h = await linkServiceHarness();
  await h.service.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.service.app.server.address() as AddressInfo).port}`;
});

type Frame = { event?: string; id?: string; data?: string; comment?: string };

/**
 * An SSE client: reads the body as it arrives and parses it into frames. On node:http with no
 * agent, so closing it really closes its connection (fetch's pool may keep sockets around).
 */
async function openStream(path: string, headers: Record<string, string> = auth(), url = base) {
  const req = get(`${url}${path}`, { headers, agent: false });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  const frames: Frame[] = [];
  let ended = false;
  let taken = 0;
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const frame: Frame = {};
      for (const line of buffer.slice(0, end).split('\n')) {
        if (line.startsWith(':')) frame.comment = line.slice(1).trim();
        const [field, ...rest] = line.split(': ');
        if (field === 'event' || field === 'id' || field === 'data') frame[field] = rest.join(': ');
      }
      frames.push(frame);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
    }
  });
  res.on('close', () => {
    ended = true;
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    frames,
    get ended() {
      return ended;
    },
    /** The next data frame (comments skipped), in order. */
    async next(): Promise<{ event: string; id: number; data: Record<string, unknown> }> {
      const frame = await eventually('the next frame', () => {
        while (taken < frames.length && frames[taken]?.event === undefined) taken++;
        return frames[taken];
      });
      taken++;
      return { event: frame.event ?? '', id: Number(frame.id), data: JSON.parse(frame.data ?? 'null') };
    },
    async close() {
      req.destroy();
      await eventually('the stream to close', () => ended);
    },
  };
}

let ticketNo = 9000;
const newTicket = () => ({ provider: 'freshdesk', id: String(ticketNo++) }) as const;
const streamPath = (ticket: { provider: string; id: string }) =>
  `/v1/tickets/${ticket.provider}/${ticket.id}/links/stream`;

async function createLink(ticket: { provider: string; id: string }, key = API_KEY) {
  const res = await h.service.app.inject({
    method: 'POST',
    url: '/v1/links',
    headers: auth(key),
    payload: { ticket },
  });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string };
}

async function mintStreamTicket(
  ticket: { provider: string; id: string },
  key = API_KEY,
): Promise<StreamTicket> {
  const res = await h.service.app.inject({
    method: 'POST',
    url: '/v1/stream-tickets',
    headers: auth(key),
    payload: { ticket },
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}

const withTicket = (path: string, { streamTicket }: StreamTicket) => `${path}?stream_ticket=${streamTicket}`;

async function revoke(id: string) {
  const res = await h.service.app.inject({ method: 'DELETE', url: `/v1/links/${id}`, headers: auth() });
  expect(res.statusCode).toBe(200);
}

const published = (subject: string, linkId: string) =>
  eventually(`${subject} of ${linkId}`, async () =>
    (await streamMessages(h.bus, subject)).some((m) => (m.json() as { linkId: string }).linkId === linkId),
  );

describe('GET /v1/tickets/{provider}/{ticketId}/links/stream', () => {
  it('answers 401 without an API key, or with a wrong one', async () => {
    const ticket = newTicket();
    const none = await fetch(`${base}${streamPath(ticket)}`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const wrong = await fetch(`${base}${streamPath(ticket)}?access_token=upk_not_a_key`);
    expect(wrong.status).toBe(401);
  });

  it('sends the snapshot, then each change of the ticket’s links, and nothing of others', async () => {
    const ticket = newTicket();
    const existing = await createLink(ticket);
    await published(Subjects.linkCreated, existing.id);

    const stream = await openStream(streamPath(ticket));
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['cache-control']).toBe('no-cache');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers['x-content-type-options']).toBe('nosniff');

    const snapshot = await stream.next();
    expect(snapshot.event).toBe('snapshot');
    expect(snapshot.data.links).toEqual([expect.objectContaining({ id: existing.id, status: 'pending' })]);
    const listed = await h.service.app.inject({
      url: `/v1/tickets/${ticket.provider}/${ticket.id}/links`,
      headers: auth(),
    });
    expect({ links: snapshot.data.links }).toEqual({
      links: (listed.json().links as { expiresInSeconds: number }[]).map((l) => ({
        ...l,
        expiresInSeconds: expect.any(Number),
      })),
    });

    const created = await createLink(ticket);
    const createdFrame = await stream.next();
    expect(createdFrame).toMatchObject({
      event: 'link',
      data: { id: created.id, ticket, status: 'pending' },
    });
    expect(createdFrame.id).toBeGreaterThan(snapshot.id);

    // Another ticket of the same tenant, and the same ticket id at another tenant.
    const otherTicket = await createLink(newTicket());
    const otherTenant = await createLink(ticket, OTHER_API_KEY);
    await published(Subjects.linkCreated, otherTicket.id);
    await published(Subjects.linkCreated, otherTenant.id);

    await revoke(created.id);
    const revokedFrame = await stream.next();
    expect(revokedFrame).toMatchObject({ event: 'link', data: { id: created.id, status: 'revoked' } });
    expect(revokedFrame.id).toBeGreaterThan(createdFrame.id);

    // upload.* events show too: a refused attempt marks the link.
    const { links } = h.store;
    const doc = await links.get(await tenantOf(existing.id), existing.id);
    expect(doc).not.toBeNull();
    if (doc) await links.noteRejectedAttempt(doc, new Date());
    const refusedFrame = await stream.next();
    expect(refusedFrame).toMatchObject({
      event: 'link',
      data: { id: existing.id, status: 'pending', customerAttemptRefused: true },
    });

    // A file the malware scanner blocked shows on the link, with what it found.
    const scanned = await createLink(ticket);
    expect(await stream.next()).toMatchObject({ event: 'link', data: { id: scanned.id, status: 'pending' } });
    const scannedDoc = await links.get(await tenantOf(scanned.id), scanned.id);
    expect(scannedDoc).not.toBeNull();
    const blockedAt = new Date();
    if (scannedDoc) {
      await links.noteBlockedUpload(scannedDoc, {
        uploadId: 'upl_BlockedUpload0000000',
        fileName: 'invoice.pdf',
        signature: 'Win.Trojan.Agent-1234',
        blockedAt,
      });
    }
    expect(await stream.next()).toMatchObject({
      event: 'link',
      data: {
        id: scanned.id,
        status: 'pending',
        blockedUpload: {
          uploadId: 'upl_BlockedUpload0000000',
          fileName: 'invoice.pdf',
          signature: 'Win.Trojan.Agent-1234',
          blockedAt: blockedAt.toISOString(),
        },
      },
    });

    const seen = stream.frames.filter((f) => f.event === 'link').map((f) => JSON.parse(f.data ?? '{}').id);
    expect(seen).not.toContain(otherTicket.id);
    expect(seen).not.toContain(otherTenant.id);
    await stream.close();
  });

  it('replays the changes missed while disconnected (Last-Event-ID), then goes live', async () => {
    const ticket = newTicket();
    const first = await openStream(streamPath(ticket));
    const snapshot = await first.next();
    expect(snapshot).toMatchObject({ event: 'snapshot', data: { links: [] } });
    const a = await createLink(ticket);
    const aFrame = await first.next();
    expect(aFrame.data.id).toBe(a.id);
    await first.close();

    const b = await createLink(ticket);
    await revoke(a.id);
    await published(Subjects.linkCreated, b.id);
    await published(Subjects.linkRevoked, a.id);

    const second = await openStream(streamPath(ticket), { ...auth(), 'last-event-id': String(aFrame.id) });
    const replayed = [await second.next(), await second.next()];
    expect(replayed.map((f) => f.event)).toEqual(['link', 'link']);
    expect(replayed.map((f) => [f.data.id, f.data.status])).toEqual([
      [b.id, 'pending'],
      [a.id, 'revoked'],
    ]);
    expect(replayed[0]?.id).toBeGreaterThan(aFrame.id);
    expect(replayed[1]?.id).toBeGreaterThan(replayed[0]?.id ?? 0);

    await revoke(b.id);
    expect(await second.next()).toMatchObject({ event: 'link', data: { id: b.id, status: 'revoked' } });
    await second.close();

    // ?lastEventId= does the same for clients that build the URL themselves. A replay sends
    // each changed link once, in its current state, at its latest cursor.
    const third = await openStream(`${streamPath(ticket)}?lastEventId=${aFrame.id}`);
    const again = [await third.next(), await third.next()];
    expect(again.map((f) => [f.data.id, f.data.status])).toEqual([
      [a.id, 'revoked'],
      [b.id, 'revoked'],
    ]);
    await third.close();
  });

  it('replays from the stream itself when the cursor is older than the in-memory ring', async () => {
    const ticket = newTicket();
    const feed = new LinkEventsFeed({
      bus: h.bus,
      links: h.store.links,
      clock: systemClock,
      logger: h.infra.logger,
      ringSize: 1,
    });
    await feed.start();
    try {
      const tenantId = await tenantOf((await createLink(newTicket())).id);
      const start = feed.subscribe(tenantId, ticket, { change: () => {}, close: () => {} });
      start.unsubscribe();
      const a = await createLink(ticket);
      const b = await createLink(ticket);
      await revoke(a.id);
      await createLink(newTicket());
      await published(Subjects.linkRevoked, a.id);
      const upto = await eventually('the feed to catch up', () => {
        const s = feed.subscribe(tenantId, ticket, { change: () => {}, close: () => {} });
        s.unsubscribe();
        return s.cursor >= start.cursor + 4 ? s.cursor : undefined;
      });
      const missed = await feed.missedSince(tenantId, ticket, start.cursor, upto);
      expect(missed).not.toBe('gone');
      expect((missed as { linkId: string }[]).map((m) => m.linkId)).toEqual([b.id, a.id]);
      expect(await feed.missedSince(tenantId, ticket, upto, upto)).toEqual([]);
    } finally {
      await feed.stop();
    }
  });

  it('ends the tail it is opening again when stopped meanwhile', async () => {
    const real = h.bus;
    let tails = 0;
    let first: MessageSource<StreamMessage> | undefined;
    let reopenedStopped = false;
    let reopen = () => {};
    const held = new Promise<void>((resolve) => {
      reopen = resolve;
    });
    // The real bus, except that the second tail() waits for `reopen` and reports its stop().
    const tail: EventBus['tail'] = async (fromSeq) => {
      tails++;
      if (tails === 1) {
        first = await real.tail(fromSeq);
        return first;
      }
      await held;
      const source = await real.tail(fromSeq);
      return {
        [Symbol.asyncIterator]: () => source[Symbol.asyncIterator](),
        async stop() {
          reopenedStopped = true;
          await source.stop();
        },
      };
    };
    const bus = new Proxy(real, {
      get(target, key) {
        if (key === 'tail') return tail;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const feed = new LinkEventsFeed({
      bus,
      links: h.store.links,
      clock: systemClock,
      logger: h.infra.logger,
    });
    await feed.start();
    // Its tail ends by itself: the feed opens another a second later, and stops while it waits.
    await first?.stop();
    await eventually('the feed to open its tail again', () => tails === 2);
    const stopped = feed.stop();
    reopen();
    await stopped;
    expect(reopenedStopped).toBe(true);
  });

  it('answers a cursor it cannot replay (unknown, or past the end of the stream) with a snapshot', async () => {
    const ticket = newTicket();
    const link = await createLink(ticket);
    await published(Subjects.linkCreated, link.id);
    for (const cursor of ['999999999', 'not-a-cursor']) {
      const stream = await openStream(streamPath(ticket), { ...auth(), 'last-event-id': cursor });
      expect(await stream.next()).toMatchObject({ event: 'snapshot', data: { links: [{ id: link.id }] } });
      await stream.close();
    }
  });

  it('is in the OpenAPI document as an event stream, which a stream ticket opens', async () => {
    const doc = (await h.service.app.inject({ url: '/docs/json' })).json();
    const op = doc.paths['/v1/tickets/{provider}/{ticketId}/links/stream'].get;
    expect(Object.keys(op.responses['200'].content)).toEqual(['text/event-stream']);
    // A stream ticket opens this operation and no other.
    expect(doc.components.securitySchemes.streamTicket).toMatchObject({
      type: 'apiKey',
      in: 'query',
      name: 'stream_ticket',
    });
    expect(op.security).toEqual([{ apiKey: [] }, { agentSession: [] }, { streamTicket: [] }]);
    expect(doc.paths['/v1/stream-tickets'].post.security).toEqual([{ apiKey: [] }, { agentSession: [] }]);
  });

  it('refuses an API key in the query string, and never logs it', async () => {
    const ticket = newTicket();
    const before = h.infra.logs.length;
    const alone = await fetch(`${base}${streamPath(ticket)}?access_token=${API_KEY}`);
    expect(alone.status).toBe(401);
    expect(((await alone.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'unauthorized',
      message: expect.stringContaining('never accepted in a URL'),
    });
    // Beside a valid header too: the key in the URL is not ignored, the request is refused.
    const withHeader = await fetch(`${base}${streamPath(ticket)}?access_token=${API_KEY}`, {
      headers: auth(),
    });
    expect(withHeader.status).toBe(400);
    expect(((await withHeader.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    const lines = h.infra.logs.slice(before).map((line) => JSON.stringify(line));
    expect(lines.some((line) => line.includes('access_token=[redacted]'))).toBe(true);
    expect(lines.filter((line) => line.includes(API_KEY))).toEqual([]);
  });

  it('opens with a stream ticket once: a second use is 401', async () => {
    const ticket = newTicket();
    const link = await createLink(ticket);
    await published(Subjects.linkCreated, link.id);
    const streamTicket = await mintStreamTicket(ticket);
    expect(streamTicket.streamTicket).toMatch(/^ust_/);
    expect(Date.parse(streamTicket.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);

    const before = h.infra.logs.length;
    const stream = await openStream(withTicket(streamPath(ticket), streamTicket), {});
    expect(stream.status).toBe(200);
    expect(await stream.next()).toMatchObject({ event: 'snapshot', data: { links: [{ id: link.id }] } });
    await stream.close();
    const again = await fetch(`${base}${withTicket(streamPath(ticket), streamTicket)}`);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'unauthorized',
      message: expect.stringContaining('stream ticket is not valid'),
    });
    // The request log shows where the ticket went, never the ticket.
    const lines = h.infra.logs.slice(before).map((line) => JSON.stringify(line));
    expect(lines.some((line) => line.includes('stream_ticket=[redacted]'))).toBe(true);
    expect(lines.filter((line) => line.includes(streamTicket.streamTicket.slice(4)))).toEqual([]);
  });

  it('refuses a stream ticket past its minute', async () => {
    let now = new Date();
    const service = await h.build({ clock: { now: () => now } });
    const ticket = newTicket();
    const minted = await service.app.inject({
      method: 'POST',
      url: '/v1/stream-tickets',
      headers: auth(),
      payload: { ticket },
    });
    expect(minted.statusCode).toBe(201);
    const streamTicket = minted.json() as StreamTicket;
    expect(Date.parse(streamTicket.expiresAt)).toBe(now.getTime() + 60_000);
    now = new Date(now.getTime() + 60_000);
    const late = await service.app.inject({ url: withTicket(streamPath(ticket), streamTicket) });
    expect(late.statusCode).toBe(401);
    expect(late.json().error.code).toBe('unauthorized');
  });

  it("refuses a stream ticket on another ticket's stream, and opens only its own tenant's links", async () => {
    const ticket = newTicket();
    const forOtherTicket = await mintStreamTicket(newTicket());
    const refused = await fetch(`${base}${withTicket(streamPath(ticket), forOtherTicket)}`);
    expect(refused.status).toBe(401);

    // The same ticket id at two tenants: another tenant's stream ticket shows only its links.
    const ours = await createLink(ticket);
    const theirs = await createLink(ticket, OTHER_API_KEY);
    await published(Subjects.linkCreated, ours.id);
    await published(Subjects.linkCreated, theirs.id);
    const stream = await openStream(
      withTicket(streamPath(ticket), await mintStreamTicket(ticket, OTHER_API_KEY)),
      {},
    );
    expect(stream.status).toBe(200);
    const snapshot = await stream.next();
    expect((snapshot.data.links as { id: string }[]).map((l) => l.id)).toEqual([theirs.id]);
    await stream.close();
  });

  it('resumes with a new stream ticket and ?lastEventId=, as the console does', async () => {
    const ticket = newTicket();
    const first = await openStream(withTicket(streamPath(ticket), await mintStreamTicket(ticket)), {});
    const snapshot = await first.next();
    await first.close();
    const missed = await createLink(ticket);
    await published(Subjects.linkCreated, missed.id);
    const second = await openStream(
      `${withTicket(streamPath(ticket), await mintStreamTicket(ticket))}&lastEventId=${snapshot.id}`,
      {},
    );
    expect(await second.next()).toMatchObject({ event: 'link', data: { id: missed.id, status: 'pending' } });
    await second.close();
  });

  it('mints stream tickets for API key holders only', async () => {
    const ticket = newTicket();
    const none = await fetch(`${base}/v1/stream-tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    });
    expect(none.status).toBe(401);
    // A stream ticket is no credential for anything but its stream, not even for another ticket.
    const streamTicket = await mintStreamTicket(ticket);
    const chained = await fetch(`${base}/v1/stream-tickets`, {
      method: 'POST',
      headers: { ...auth(streamTicket.streamTicket), 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    });
    expect(chained.status).toBe(401);
  });

  it('ends open streams when the service shuts down', async () => {
    const service = await h.build();
    await service.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
    const stream = await openStream(streamPath(newTicket()), auth(), url);
    expect((await stream.next()).event).toBe('snapshot');
    // The app's close alone must not wait on the open stream (runService stops workers first,
    // which ends streams too).
    const started = Date.now();
    await service.app.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    await eventually('the stream to end', () => stream.ended);
    await stream.close();
    await stopWorkers(service);
  });
});

describe('limits of live streams', () => {
  it('caps the streams one tenant holds open with a 429, not other tenants, and frees a closed one', async () => {
    const service = await h.build({ config: { LINK_STREAMS_PER_TENANT: 3 } });
    await service.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
    const open = [];
    try {
      for (let i = 0; i < 3; i++) {
        const stream = await openStream(streamPath(newTicket()), auth(), url);
        expect(stream.status).toBe(200);
        expect((await stream.next()).event).toBe('snapshot');
        open.push(stream);
      }
      const refused = await fetch(`${url}${streamPath(newTicket())}`, { headers: auth() });
      expect(refused.status).toBe(429);
      const { error } = (await refused.json()) as { error: { code: string; message: string } };
      expect(error).toEqual({
        code: 'rate_limited',
        message: expect.stringContaining('3 live streams open'),
      });

      const otherTenant = await openStream(streamPath(newTicket()), auth(OTHER_API_KEY), url);
      expect(otherTenant.status).toBe(200);
      open.push(otherTenant);

      await open.shift()?.close();
      const again = await eventually('a freed stream slot', async () => {
        const stream = await openStream(streamPath(newTicket()), auth(), url);
        if (stream.status === 200) return stream;
        await stream.close();
        return undefined;
      });
      open.push(again);
      expect((await again.next()).event).toBe('snapshot');
    } finally {
      for (const stream of open) await stream.close();
    }
  });

  it('ends a stream after its lifetime; the client resumes with Last-Event-ID and misses nothing', async () => {
    const service = await h.build({
      config: { LINK_STREAM_MAX_LIFETIME_MS: 1500, LINK_STREAMS_PER_TENANT: 1 },
    });
    await service.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
    const ticket = newTicket();
    const first = await openStream(streamPath(ticket), auth(), url);
    const snapshot = await first.next();
    expect(snapshot.event).toBe('snapshot');
    const started = Date.now();
    await eventually('the stream to reach its lifetime', () => first.ended, 5_000);
    expect(Date.now() - started).toBeLessThan(3_000);

    // While the client is away, a link is created; its reconnection (the one slot is free again)
    // resumes after the last id it saw.
    const created = await createLink(ticket);
    await published(Subjects.linkCreated, created.id);
    const second = await openStream(
      streamPath(ticket),
      { ...auth(), 'last-event-id': String(snapshot.id) },
      url,
    );
    expect(second.status).toBe(200);
    const resumed = await second.next();
    expect(resumed).toMatchObject({ event: 'link', data: { id: created.id, status: 'pending' } });
    expect(resumed.id).toBeGreaterThan(snapshot.id);
    await second.close();
  });
});

describe('a stream whose credential stops working', () => {
  /** link-service checking open streams' credentials every 200 ms, on `clock`, listening. */
  async function checkingService(clock = systemClock) {
    const service = await h.build({ clock, config: { LINK_STREAM_CREDENTIAL_CHECK_MS: 200 } });
    await service.app.listen({ host: '127.0.0.1', port: 0 });
    return { service, url: `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}` };
  }
  async function agentSession(ttlMinutes = 60): Promise<{ id: string; token: string }> {
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/v1/agent-sessions',
      headers: auth(),
      payload: { agent: { id: 'a-9', name: 'Ada Agent' }, source: 'console', ttlMinutes },
    });
    expect(res.statusCode).toBe(201);
    return res.json();
  }
  const revokeSession = async (id: string) =>
    expect(
      (await h.service.app.inject({ method: 'DELETE', url: `/v1/agent-sessions/${id}`, headers: auth() }))
        .statusCode,
    ).toBe(204);

  it('ends with credential-ended once its agent session is revoked', async () => {
    const { url } = await checkingService();
    const session = await agentSession();
    const stream = await openStream(streamPath(newTicket()), auth(session.token), url);
    expect((await stream.next()).event).toBe('snapshot');
    await revokeSession(session.id);
    const last = await stream.next();
    expect(last.event).toBe('credential-ended');
    expect(last.data.message).toMatch(/revoked or has expired/);
    await eventually('the stream to end', () => stream.ended, 3_000);
  });

  it('ends with credential-ended once its agent session expires, on the service clock', async () => {
    let offsetMs = 0;
    const { url } = await checkingService({ now: () => new Date(Date.now() + offsetMs) });
    const session = await agentSession(5);
    const stream = await openStream(streamPath(newTicket()), auth(session.token), url);
    expect((await stream.next()).event).toBe('snapshot');
    // Still working: a check or two go by and the stream stays.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stream.ended).toBe(false);
    offsetMs = 6 * 60 * 1000;
    expect((await stream.next()).event).toBe('credential-ended');
    await eventually('the stream to end', () => stream.ended, 3_000);
  });

  it('ends with credential-ended once the API key it was opened with is revoked, also when opened by a ticket', async () => {
    const { url } = await checkingService();
    const created = await h.service.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: auth(),
      payload: { label: 'stream test', role: 'integration' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { key, id } = created.json() as { key: string; id: string };
    const ticket = newTicket();
    const stream = await openStream(
      withTicket(streamPath(ticket), await mintStreamTicket(ticket, key)),
      {},
      url,
    );
    expect((await stream.next()).event).toBe('snapshot');
    const revoked = await h.service.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: auth(),
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect((await stream.next()).event).toBe('credential-ended');
  });

  it('refuses a stream ticket its session asked for before it was revoked', async () => {
    const session = await agentSession();
    const ticket = newTicket();
    const minted = await mintStreamTicket(ticket, session.token);
    await revokeSession(session.id);
    const refused = await openStream(withTicket(streamPath(ticket), minted), {});
    expect(refused.status).toBe(401);
    await refused.close();
  });
});

async function tenantOf(linkId: string): Promise<string> {
  const doc = await h.store.links.getById(linkId);
  if (!doc) throw new Error(`no link ${linkId}`);
  return doc.tenantId;
}

// The consumer policy (startConsumer) and checked publishing (publishEvent) on both event buses:
// they are written once over the EventBus port, so each adapter must give them the same
// at-least-once, retry, dead-letter and de-duplication behaviour.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEAD_LETTER_STREAM_NAME, Headers, Subjects, type UplinkEvent } from '@uplink/contracts';
import { eventually, type ServerInfra, sampleRevokedEvent, startServerInfra } from '@uplink/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBus } from './bus.ts';
import { InvalidEventError, publishEvent, startConsumer } from './events.ts';
import { NatsEventBus } from './nats.ts';
import { SqliteEventBus } from './sqlite-bus/index.ts';

let infra: ServerInfra;
let dataDir: string;
const buses: Record<string, EventBus> = {};
beforeAll(async () => {
  infra = await startServerInfra();
  dataDir = await mkdtemp(join(tmpdir(), 'uplink-events-'));
  buses.nats = await infra.connectBus();
  buses.embedded = SqliteEventBus.open(join(dataDir, 'events.sqlite'), { logger: infra.logger });
  await buses.embedded.ensureStreams();
});
afterAll(async () => {
  await buses.embedded?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const revoked = sampleRevokedEvent;
const logged = (msg: string, durable: string) =>
  infra.logs.filter((line) => line.msg === msg && line.consumer === durable);

describe.each(['nats', 'embedded'])('events on the %s bus', (kind) => {
  const bus = () => buses[kind] as EventBus;
  const name = (base: string) => `${base}-${kind}`;

  it('refuses to publish an event that does not match its subject schema', async () => {
    const bad = { ...revoked('lnk_AAAAAAAAAAAAAAAAAAAA'), linkId: 'nope' } as UplinkEvent;
    await expect(publishEvent(bus(), Subjects.linkRevoked, bad, { msgId: 'x' })).rejects.toThrow(
      InvalidEventError,
    );
    await expect(publishEvent(bus(), Subjects.linkRevoked, bad, { msgId: 'x' })).rejects.toThrow(/\/linkId/);
  });

  it('retries a failing handler with backoff, then dead-letters the message with the error', async () => {
    const durable = name('flaky');
    const spec = { durable, subjects: [Subjects.linkRevoked], maxDeliver: 3, backoffMs: [200, 400] };
    await bus().ensureConsumer(spec);
    const linkId = kind === 'nats' ? 'lnk_BBBBBBBBBBBBBBBBBBBB' : 'lnk_BBBBBBBBBBBBBBBBBBBC';
    const attempts: number[] = [];
    const consumer = startConsumer({
      bus: bus(),
      spec,
      logger: infra.logger,
      handler: async (event) => {
        if (event.linkId === linkId) attempts.push(Date.now());
        throw new Error('helpdesk is down');
      },
    });
    try {
      await publishEvent(bus(), Subjects.linkRevoked, revoked(linkId), { msgId: `flaky-${linkId}` });
      const [dead] = await eventually('dead-lettered', () =>
        logged('message dead-lettered', durable).length > 0
          ? logged('message dead-lettered', durable)
          : undefined,
      );
      expect(dead?.reason).toBe('handler failed 3 times: helpdesk is down');
      expect(attempts).toHaveLength(3);
      const [first = 0, second = 0, third = 0] = attempts;
      expect(second - first).toBeGreaterThanOrEqual(180);
      expect(third - second).toBeGreaterThanOrEqual(380);
      // The term follows the dead-letter publish: nothing is left to deliver, nothing comes back.
      await eventually('message terminated', async () => {
        const state = await bus().consumerState(durable);
        return state.pending === 0 && state.redelivered === 0 ? state : undefined;
      });
      await new Promise((r) => setTimeout(r, 600));
      expect(attempts).toHaveLength(3);

      const nats = bus();
      if (nats instanceof NatsEventBus) {
        // The dead letter keeps the event and says why, in its headers.
        const dl = await nats.js.consumers.get(DEAD_LETTER_STREAM_NAME, {
          filter_subjects: [`deadletter.${Subjects.linkRevoked}`],
        });
        const message = await dl.next({ expires: 1_000 });
        expect(message?.headers?.get(Headers.deadLetterReason)).toBe(
          'handler failed 3 times: helpdesk is down',
        );
        expect(message?.headers?.get(Headers.deadLetterConsumer)).toBe(durable);
      }
    } finally {
      await consumer.stop();
    }
  });

  it('dead-letters a message that is not a valid event at once, without calling the handler', async () => {
    const durable = name('strict');
    const spec = { durable, subjects: [Subjects.linkExpired] };
    await bus().ensureConsumer(spec);
    let handled = 0;
    const consumer = startConsumer({
      bus: bus(),
      spec,
      logger: infra.logger,
      handler: async () => {
        handled++;
      },
    });
    try {
      await bus().publish(Subjects.linkExpired, 'not json', { msgId: `strict-1-${kind}` });
      await bus().publish(Subjects.linkExpired, JSON.stringify({ type: 'link.expired' }), {
        msgId: `strict-2-${kind}`,
      });
      const dead = await eventually('both dead-lettered', () => {
        const lines = logged('message dead-lettered', durable);
        return lines.length >= 2 ? lines : undefined;
      });
      expect(dead.map((line) => line.reason)).toEqual([
        'payload is not JSON',
        expect.stringMatching(/^invalid event: /),
      ]);
      expect(handled).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  it('acks what the handler processed, once', async () => {
    const durable = name('steady');
    const spec = { durable, subjects: [Subjects.linkRevoked] };
    await bus().ensureConsumer(spec);
    const linkId = kind === 'nats' ? 'lnk_CCCCCCCCCCCCCCCCCCCC' : 'lnk_CCCCCCCCCCCCCCCCCCCD';
    const seen: string[] = [];
    const consumer = startConsumer({
      bus: bus(),
      spec,
      logger: infra.logger,
      handler: async (event) => {
        seen.push(event.linkId);
      },
    });
    try {
      await publishEvent(bus(), Subjects.linkRevoked, revoked(linkId), { msgId: `steady-${linkId}` });
      // The same transition published twice is stored once.
      await publishEvent(bus(), Subjects.linkRevoked, revoked(linkId), { msgId: `steady-${linkId}` });
      await eventually('handled', () => seen.includes(linkId));
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.filter((id) => id === linkId)).toHaveLength(1);
      expect(await bus().consumerState(durable)).toMatchObject({ pending: 0 });
    } finally {
      await consumer.stop();
    }
  });
  it('stops at once when stopped before its subscription is open, and takes nothing', async () => {
    const durable = name('stopped-at-start');
    const spec = { durable, subjects: [Subjects.linkRevoked] };
    await bus().ensureConsumer(spec);
    const linkId = kind === 'nats' ? 'lnk_EEEEEEEEEEEEEEEEEEEE' : 'lnk_EEEEEEEEEEEEEEEEEEEF';
    await publishEvent(bus(), Subjects.linkRevoked, revoked(linkId), { msgId: `stopped-at-start-${linkId}` });
    const handled: string[] = [];
    const consume = () =>
      startConsumer({
        bus: bus(),
        spec,
        logger: infra.logger,
        handler: async (event) => {
          handled.push(event.linkId);
        },
      });
    const first = consume();
    // Stopped in the same tick as started, as a service's workers are when a test or a shutdown
    // stops them right after a start: the subscription is still being opened.
    const stopping = first.stop().then(() => 'stopped');
    const waited = new Promise((resolve) => setTimeout(() => resolve('still consuming after 3 s'), 3_000));
    expect(await Promise.race([stopping, waited])).toBe('stopped');
    expect(handled).toEqual([]);
    // It took nothing: the next subscription gets the message at once, not after the ack wait
    // (30 s) of a delivery the stopped one received and dropped.
    const next = consume();
    try {
      await eventually('handled by the next subscription', () => handled.includes(linkId), 5_000);
    } finally {
      await next.stop();
    }
  });

  it("says each event's own schema version in its header", async () => {
    const durable = name('versions');
    const spec = { durable, subjects: [Subjects.linkRevoked, Subjects.uploadCompleted] };
    await bus().ensureConsumer(spec);
    const linkId = kind === 'nats' ? 'lnk_DDDDDDDDDDDDDDDDDDDD' : 'lnk_DDDDDDDDDDDDDDDDDDDE';
    const revokedEvent = revoked(linkId);
    const completed = {
      ...revokedEvent,
      schemaVersion: 2,
      eventId: `${linkId}:${Subjects.uploadCompleted}`,
      type: Subjects.uploadCompleted,
      data: {
        shortId: '3bc4',
        ticket: { provider: 'webhook', id: 't1' },
        expiresAt: revokedEvent.occurredAt,
        files: [
          {
            uploadId: 'upl_AbCdEfGhIjKlMnOpQrSt',
            kind: 'file',
            category: 'image',
            fileName: 'label.jpg',
            contentType: 'image/jpeg',
            size: 1234,
            container: 'uplink-uploads',
            blobName: 'verified/2026-11-23/upl_AbCdEfGhIjKlMnOpQrSt',
            etag: '"0x1"',
          },
        ],
        receivedAt: revokedEvent.occurredAt,
      },
    } as UplinkEvent;
    const versions = new Map<string, string | undefined>();
    const consumer = startConsumer({
      bus: bus(),
      spec,
      logger: infra.logger,
      handler: async (event, { msg }) => {
        if (event.linkId === linkId) versions.set(event.type, msg.headers[Headers.schemaVersion]);
      },
    });
    try {
      await publishEvent(bus(), Subjects.linkRevoked, revokedEvent, { msgId: `versions-r-${linkId}` });
      await publishEvent(bus(), Subjects.uploadCompleted, completed, { msgId: `versions-c-${linkId}` });
      await eventually('both handled', () => versions.size === 2);
      expect(Object.fromEntries(versions)).toEqual({
        [Subjects.linkRevoked]: '1',
        [Subjects.uploadCompleted]: '2',
      });
    } finally {
      await consumer.stop();
    }
  });
});

describe('a consumer whose subscription keeps ending', () => {
  it('subscribes again with growing pauses, and stops at once while it waits', async () => {
    const real = buses.embedded as EventBus;
    const spec = { durable: 'ending', subjects: [Subjects.linkRevoked] };
    await real.ensureConsumer(spec);
    let subscriptions = 0;
    // The real bus, except that every subscription has ended by the time it is handed out.
    const ending: EventBus['consume'] = async (durable, opts) => {
      subscriptions++;
      const source = await real.consume(durable, opts);
      await source.stop();
      return source;
    };
    const bus = new Proxy(real, {
      get(target, key) {
        if (key === 'consume') return ending;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const consumer = startConsumer({ bus, spec, logger: infra.logger, handler: async () => {} });
    // Pauses of 1 s, then 2 s: in 1.5 s, the first subscription and one more.
    await new Promise((r) => setTimeout(r, 1_500));
    const started = Date.now();
    await consumer.stop();
    expect(Date.now() - started).toBeLessThan(500);
    expect(subscriptions).toBe(2);
    expect(logged('consumer ended; resubscribing', 'ending')).toHaveLength(2);
  });
});

import { DEAD_LETTER_STREAM_NAME, Headers, STREAM_NAME, Subjects, type UplinkEvent } from '@uplink/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidEventError, publishEvent, startConsumer } from './events.ts';
import type { NatsEventBus } from './nats.ts';
import { eventually, sampleRevokedEvent, startTestInfra, type TestInfra } from './testing.ts';

let infra: TestInfra;
let bus: NatsEventBus;
beforeAll(async () => {
  infra = await startTestInfra();
  bus = await infra.connectBus();
});
afterAll(() => infra?.close());

const revoked = sampleRevokedEvent;

describe('events', () => {
  it('refuses to publish an event that does not match its subject schema', async () => {
    const bad = { ...revoked('lnk_AAAAAAAAAAAAAAAAAAAA'), linkId: 'nope' } as UplinkEvent;
    await expect(publishEvent(bus, Subjects.linkRevoked, bad, { msgId: 'x' })).rejects.toThrow(
      InvalidEventError,
    );
    await expect(publishEvent(bus, Subjects.linkRevoked, bad, { msgId: 'x' })).rejects.toThrow(/\/linkId/);
  });

  it('retries a failing handler with backoff, then dead-letters the message with the error', async () => {
    const spec = { durable: 'flaky', subjects: [Subjects.linkRevoked], maxDeliver: 3, backoffMs: [200, 400] };
    await bus.ensureConsumer(spec);
    const attempts: number[] = [];
    const consumer = startConsumer({
      bus,
      spec,
      logger: infra.logger,
      handler: async () => {
        attempts.push(Date.now());
        throw new Error('helpdesk is down');
      },
    });
    try {
      await publishEvent(bus, Subjects.linkRevoked, revoked('lnk_BBBBBBBBBBBBBBBBBBBB'), {
        msgId: 'flaky-1',
      });
      const dead = await eventually('dead-lettered', async () => {
        const dl = await bus.js.consumers.get(DEAD_LETTER_STREAM_NAME, {
          filter_subjects: [`deadletter.${Subjects.linkRevoked}`],
        });
        return dl.next({ expires: 1_000 });
      });
      expect(attempts).toHaveLength(3);
      const [first = 0, second = 0, third = 0] = attempts;
      expect(second - first).toBeGreaterThanOrEqual(180);
      expect(third - second).toBeGreaterThanOrEqual(380);
      expect(dead.headers?.get(Headers.deadLetterReason)).toBe('handler failed 3 times: helpdesk is down');
      // The term follows the dead-letter publish: it may reach the server a moment later.
      const info = await eventually('message terminated', async () => {
        const current = await bus.jsm.consumers.info(STREAM_NAME, 'flaky');
        return current.num_ack_pending === 0 ? current : undefined;
      });
      expect(info.num_pending).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  it('acks what the handler processed, once', async () => {
    const spec = { durable: 'steady', subjects: [Subjects.linkRevoked] };
    await bus.ensureConsumer(spec);
    const seen: string[] = [];
    const consumer = startConsumer({
      bus,
      spec,
      logger: infra.logger,
      handler: async (event) => {
        seen.push(event.linkId);
      },
    });
    try {
      await publishEvent(bus, Subjects.linkRevoked, revoked('lnk_CCCCCCCCCCCCCCCCCCCC'), {
        msgId: 'steady-1',
      });
      // The same transition published twice is stored once.
      await publishEvent(bus, Subjects.linkRevoked, revoked('lnk_CCCCCCCCCCCCCCCCCCCC'), {
        msgId: 'steady-1',
      });
      await eventually('handled', () => seen.includes('lnk_CCCCCCCCCCCCCCCCCCCC'));
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.filter((id) => id === 'lnk_CCCCCCCCCCCCCCCCCCCC')).toHaveLength(1);
    } finally {
      await consumer.stop();
    }
  });
});

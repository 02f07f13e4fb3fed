import { DEAD_LETTER_SUBJECT_PREFIX, deadLetterSubject, type Subject, Subjects } from '@uplink/contracts';
import { eventually } from '@uplink/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsumerMessage, ConsumerSpec, EventBus, MessageSource, StreamMessage } from '../../src/bus.ts';

/** One adapter under test, on storage of its own. */
export type BusUnderTest = {
  /** The bus to test; the suite declares the streams. */
  bus: EventBus;
  /** Closes the bus and opens another on the same storage, as a process restart would. */
  restart(): Promise<EventBus>;
  /** Closes whatever bus is open (it may be closed already) and disposes of the storage. */
  close(): Promise<void>;
};

type Received = { msg: ConsumerMessage; at: number };

/**
 * The EventBus port's behaviour, registered as vitest tests against one adapter. Every adapter
 * runs the same suite, so what it asserts is the contract the services rely on. Each test opens
 * a fresh bus, so that sequences start at 1 and no consumer sees another test's messages.
 * Timings stay short: ack waits of 1 s, which JetStream's timers handle fine.
 */
export function describeEventBus(name: string, open: () => Promise<BusUnderTest>): void {
  describe(`EventBus conformance: ${name}`, () => {
    let sut: BusUnderTest | undefined;
    let bus: EventBus;
    const running: MessageSource<unknown>[] = [];
    let published = 0;

    beforeEach(async () => {
      sut = await open();
      bus = sut.bus;
      published = 0;
      await bus.ensureStreams();
    });
    afterEach(async () => {
      await Promise.allSettled(running.splice(0).map((source) => source.stop()));
      await sut?.close();
      sut = undefined;
    });

    const publish = (subject: string, body: unknown = {}, msgId = `msg-${++published}`) =>
      bus.publish(subject, JSON.stringify(body), { msgId });

    const publishMany = async (subject: string, count: number): Promise<number[]> => {
      const seqs: number[] = [];
      for (let i = 0; i < count; i++) seqs.push((await publish(subject, { i })).seq);
      return seqs;
    };

    const consumer = async (spec: Partial<ConsumerSpec> & { durable: string }): Promise<ConsumerSpec> => {
      const full: ConsumerSpec = { subjects: [Subjects.linkCreated], ackWaitMs: 10_000, ...spec };
      await bus.ensureConsumer(full);
      return full;
    };

    /** Consumes in the background, recording each delivery and settling it with `settle`. */
    const record = async (
      durable: string,
      settle: (msg: ConsumerMessage, seen: Received[]) => unknown = (msg) => msg.ack(),
      maxInFlight = 10,
    ): Promise<{ received: Received[]; seqs(): number[]; stop(): Promise<void> }> => {
      const source = await bus.consume(durable, { maxInFlight });
      running.push(source);
      const received: Received[] = [];
      const done = (async () => {
        for await (const msg of source) {
          received.push({ msg, at: Date.now() });
          await settle(msg, received);
        }
      })().catch(() => undefined);
      return {
        received,
        seqs: () => received.map((r) => r.msg.seq),
        async stop() {
          await source.stop();
          await done;
        },
      };
    };

    const collect = async <M>(messages: AsyncIterable<M>): Promise<M[]> => {
      const all: M[] = [];
      for await (const message of messages) all.push(message);
      return all;
    };

    it('starts empty and numbers publishes 1, 2, 3…', async () => {
      expect(await bus.streamInfo()).toEqual({ firstSeq: 0, lastSeq: 0 });
      const results = [];
      for (const subject of [Subjects.linkCreated, Subjects.uploadCompleted, Subjects.notePosted]) {
        results.push(await publish(subject));
      }
      expect(results).toEqual([
        { seq: 1, duplicate: false },
        { seq: 2, duplicate: false },
        { seq: 3, duplicate: false },
      ]);
      expect(await bus.streamInfo()).toEqual({ firstSeq: 1, lastSeq: 3 });
    });

    it('answers a repeated msgId with the first sequence and keeps the first message', async () => {
      const first = await publish(Subjects.linkCreated, { n: 1 }, 'same-id');
      const repeat = await publish(Subjects.linkCreated, { n: 2 }, 'same-id');
      const other = await publish(Subjects.linkCreated, { n: 3 }, 'other-id');
      expect(repeat).toEqual({ seq: first.seq, duplicate: true });
      expect(other).toEqual({ seq: first.seq + 1, duplicate: false });
      const stored = await collect(bus.read(1, other.seq));
      expect(stored.map((m) => m.json())).toEqual([{ n: 1 }, { n: 3 }]);
    });

    it('keeps data and headers as published', async () => {
      const data = new Uint8Array([0, 1, 2, 255]);
      await bus.publish(Subjects.linkRevoked, data, { msgId: 'bin', headers: { 'Uplink-Test': 'yes' } });
      await publish(Subjects.linkRevoked, { hello: 'world' });
      const [binary, json] = await collect(bus.read(1, 2));
      expect(binary?.subject).toBe(Subjects.linkRevoked);
      expect([...(binary?.data ?? [])]).toEqual([0, 1, 2, 255]);
      expect(binary?.headers).toMatchObject({ 'Uplink-Test': 'yes' });
      expect(json?.json()).toEqual({ hello: 'world' });
    });

    it('rejects subjects no stream takes, and ensureStreams can be repeated', async () => {
      await bus.ensureStreams();
      await expect(publish('unknown.created')).rejects.toThrow();
      await expect(publish('linkcreated')).rejects.toThrow();
      expect(await bus.streamInfo()).toEqual({ firstSeq: 0, lastSeq: 0 });
    });

    it('delivers each message once, in order, with deliveryCount 1; ack and term end it', async () => {
      await consumer({ durable: 'once', ackWaitMs: 1_000 });
      const seqs = await publishMany(Subjects.linkCreated, 4);
      const run = await record('once', (msg) => (msg.seq % 2 === 0 ? msg.ack() : msg.term('test')));
      await eventually('4 deliveries', () => run.received.length >= 4);
      // Past the ack wait: nothing settled comes back.
      await sleep(1_500);
      expect(run.seqs()).toEqual(seqs);
      expect(run.received.map((r) => r.msg.deliveryCount)).toEqual([1, 1, 1, 1]);
    });

    it('redelivers after nak(delay), not before, counting the delivery', async () => {
      await consumer({ durable: 'nak-delay' });
      const [seq] = await publishMany(Subjects.linkCreated, 1);
      let nakAt = 0;
      const run = await record('nak-delay', (msg) => {
        if (msg.deliveryCount > 1) return msg.ack();
        nakAt = Date.now();
        msg.nak(600);
      });
      await eventually('the redelivery', () => run.received.length >= 2);
      const [first, second] = run.received;
      expect(first?.msg.seq).toBe(seq);
      expect(second?.msg).toMatchObject({ seq, deliveryCount: 2 });
      // A little slack for timer rounding on either side.
      expect((second?.at ?? 0) - nakAt).toBeGreaterThanOrEqual(550);
    });

    it('redelivers at once after nak() without a delay', async () => {
      await consumer({ durable: 'nak-now' });
      const [seq] = await publishMany(Subjects.linkCreated, 1);
      const run = await record('nak-now', (msg) => (msg.deliveryCount > 1 ? msg.ack() : msg.nak()));
      await eventually('the redelivery', () => run.received.length >= 2, 3_000);
      expect(run.received[1]?.msg).toMatchObject({ seq, deliveryCount: 2 });
    });

    it('redelivers a delivery left unsettled once ackWaitMs has passed', async () => {
      await consumer({ durable: 'ack-wait', ackWaitMs: 1_000 });
      const [seq] = await publishMany(Subjects.linkCreated, 1);
      const run = await record('ack-wait', (msg) => (msg.deliveryCount > 1 ? msg.ack() : undefined));
      await eventually('the redelivery', () => run.received.length >= 2);
      const [first, second] = run.received;
      expect(second?.msg).toMatchObject({ seq, deliveryCount: 2 });
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
    });

    it('delivers a message at most maxDeliver times, whether nak’d or left to time out', async () => {
      await consumer({ durable: 'max-deliver', maxDeliver: 2, ackWaitMs: 1_000 });
      const [naked, ignored] = await publishMany(Subjects.linkCreated, 2);
      const run = await record('max-deliver', (msg) => (msg.seq === naked ? msg.nak() : undefined));
      await eventually('both messages twice', () => run.received.length >= 4, 5_000);
      // Long enough for a third delivery of either after its ack wait.
      await sleep(1_500);
      const counts = (seq: number | undefined) =>
        run.received.filter((r) => r.msg.seq === seq).map((r) => r.msg.deliveryCount);
      expect(counts(naked)).toEqual([1, 2]);
      expect(counts(ignored)).toEqual([1, 2]);
    });

    it('holds at most maxInFlight deliveries of one consume() unsettled', async () => {
      await consumer({ durable: 'in-flight' });
      await publishMany(Subjects.linkCreated, 5);
      const run = await record('in-flight', () => undefined, 2);
      await eventually('2 deliveries', () => run.received.length >= 2);
      await sleep(300);
      expect(run.received).toHaveLength(2);
      run.received[0]?.msg.ack();
      await eventually('a third delivery', () => run.received.length >= 3);
      await sleep(300);
      expect(run.received).toHaveLength(3);
    });

    it('shares a durable among consume() calls: each message goes to one of them', async () => {
      await consumer({ durable: 'shared' });
      const slowAck = async (msg: ConsumerMessage) => {
        await sleep(20);
        msg.ack();
      };
      const a = await record('shared', slowAck, 1);
      const b = await record('shared', slowAck, 1);
      const seqs = await publishMany(Subjects.linkCreated, 20);
      await eventually('20 deliveries', () => a.received.length + b.received.length >= 20);
      await sleep(300);
      const all = [...a.seqs(), ...b.seqs()].sort((x, y) => x - y);
      expect(all).toEqual(seqs);
      expect(a.received.length).toBeGreaterThan(0);
      expect(b.received.length).toBeGreaterThan(0);
    });

    it('starts a new consumer at the beginning of the stream', async () => {
      const seqs = await publishMany(Subjects.linkCreated, 3);
      await consumer({ durable: 'late' });
      const run = await record('late');
      await eventually('3 deliveries', () => run.received.length >= 3);
      expect(run.seqs()).toEqual(seqs);
    });

    it("delivers only the consumer's subjects", async () => {
      await consumer({ durable: 'filtered', subjects: [Subjects.linkCreated, Subjects.uploadCompleted] });
      const run = await record('filtered');
      const wanted = [];
      wanted.push((await publish(Subjects.linkCreated)).seq);
      await publish(Subjects.linkRevoked);
      await publish(deadLetterSubject(Subjects.linkCreated));
      wanted.push((await publish(Subjects.uploadCompleted)).seq);
      await publish(Subjects.notePosted);
      await eventually('2 deliveries', () => run.received.length >= 2);
      await sleep(300);
      expect(run.seqs()).toEqual(wanted);
      expect(run.received.map((r) => r.msg.subject)).toEqual([
        Subjects.linkCreated,
        Subjects.uploadCompleted,
      ]);
    });

    it('matches filters as NATS does: * is one token, a final > one or more', async () => {
      // Services name exact subjects; the port takes NATS filters, wildcards included.
      const filters = (...subjects: string[]) => subjects as Subject[];
      await consumer({ durable: 'one-token', subjects: filters('link.*') });
      await consumer({ durable: 'the-rest', subjects: filters('link.>') });
      await consumer({ durable: 'inner', subjects: filters('link.*.b.>', 'upload.a') });
      const runs = {
        oneToken: await record('one-token'),
        theRest: await record('the-rest'),
        inner: await record('inner'),
      };
      const published = [
        'link.a',
        'link.a.b',
        'link.x.b.c',
        'link.x.y.b.c',
        'upload.a',
        'upload.a.b',
        'link.b.b.b',
      ];
      for (const subject of published) await publish(subject);
      const expected = {
        oneToken: ['link.a'],
        theRest: ['link.a', 'link.a.b', 'link.x.b.c', 'link.x.y.b.c', 'link.b.b.b'],
        // Not link.x.y.b.c: its third token is y.
        inner: ['link.x.b.c', 'upload.a', 'link.b.b.b'],
      };
      await eventually('every delivery', () =>
        Object.entries(runs).every(
          ([run, { received }]) => received.length >= expected[run as keyof typeof expected].length,
        ),
      );
      await sleep(300);
      const subjectsOf = (messages: StreamMessage[]) => messages.map((message) => message.subject);
      expect({
        oneToken: subjectsOf(runs.oneToken.received.map((r) => r.msg)),
        theRest: subjectsOf(runs.theRest.received.map((r) => r.msg)),
        inner: subjectsOf(runs.inner.received.map((r) => r.msg)),
      }).toEqual(expected);
      expect(subjectsOf(await collect(bus.read(1, published.length, 'link.*.b.>')))).toEqual([
        'link.x.b.c',
        'link.b.b.b',
      ]);
      expect(subjectsOf(await collect(bus.read(2, published.length, 'link.*')))).toEqual([]);
      expect(subjectsOf(await collect(bus.read(1, published.length, 'upload.>')))).toEqual([
        'upload.a',
        'upload.a.b',
      ]);
    });

    it('keeps a consumer’s progress when ensureConsumer is repeated, even with new settings', async () => {
      const spec = await consumer({ durable: 'again' });
      await publishMany(Subjects.linkCreated, 2);
      const first = await record('again');
      await eventually('2 deliveries', () => first.received.length >= 2);
      await first.stop();
      await consumer({ ...spec, ackWaitMs: 5_000, maxDeliver: 4 });
      const second = await record('again');
      const [next] = await publishMany(Subjects.linkCreated, 1);
      await eventually('the new message', () => second.received.length >= 1);
      await sleep(300);
      expect(second.seqs()).toEqual([next]);
    });

    it('declares a consumer when replicas starting together both find it missing', async () => {
      // Both look it up before either creates it; one creates it, the other must settle for it.
      const spec: ConsumerSpec = { durable: 'together', subjects: [Subjects.linkCreated], ackWaitMs: 10_000 };
      await Promise.all([bus.ensureConsumer(spec), bus.ensureConsumer({ ...spec, ackWaitMs: 5_000 })]);
      const [seq] = await publishMany(Subjects.linkCreated, 1);
      const run = await record('together');
      await eventually('the message', () => run.received.length >= 1);
      expect(run.seqs()).toEqual([seq]);
    });

    it("reports a consumer's undelivered and redelivered messages", async () => {
      await expect(bus.consumerState('never-declared')).rejects.toThrow();
      await consumer({ durable: 'state' });
      expect(await bus.consumerState('state')).toEqual({ pending: 0, redelivered: 0 });
      const [, ...naked] = await publishMany(Subjects.linkCreated, 3);
      await publish(Subjects.linkRevoked); // not on its subjects
      expect(await bus.consumerState('state')).toEqual({ pending: 3, redelivered: 0 });

      // One is acked; two are nak'd and their second delivery is left unsettled.
      const run = await record('state', (msg) => {
        if (!naked.includes(msg.seq)) msg.ack();
        else if (msg.deliveryCount === 1) msg.nak();
      });
      const second = () => run.received.filter((r) => r.msg.deliveryCount === 2);
      await eventually('both redeliveries', () => second().length >= 2);
      expect(second().map((r) => r.msg.seq)).toEqual(naked);
      const state = () => bus.consumerState('state');
      await eventually('2 redelivered', async () => (await state()).redelivered === 2);
      expect(await state()).toEqual({ pending: 0, redelivered: 2 });

      for (const r of second()) r.msg.ack();
      await publishMany(Subjects.linkCreated, 1);
      await eventually('the redelivered ones settled', async () => (await state()).redelivered === 0);
      // The new message is delivered to the running consumer, so nothing stays undelivered.
      await eventually('the new one delivered', () => run.received.length >= 6);
      expect(await state()).toEqual({ pending: 0, redelivered: 0 });
    });

    it('rejects consume() of a consumer that was never declared', async () => {
      await expect(bus.consume('never-declared', { maxInFlight: 1 })).rejects.toThrow();
    });

    it('ends a pending iteration on stop()', async () => {
      await consumer({ durable: 'idle' });
      const deliveries = await bus.consume('idle', { maxInFlight: 1 });
      const tail = await bus.tail(1);
      const ended = Promise.all([collect(deliveries), collect(tail)]);
      await sleep(100);
      await Promise.all([deliveries.stop(), tail.stop()]);
      expect(await within(2_000, ended)).toEqual([[], []]);
    });

    it('ends on stop() an iteration nobody started (a consumer stopped while subscribing)', async () => {
      await consumer({ durable: 'unread' });
      const deliveries = await bus.consume('unread', { maxInFlight: 1 });
      const tail = await bus.tail(1);
      await within(2_000, Promise.all([deliveries.stop(), tail.stop()]));
    });

    it('reads a range and tails from a sequence, live', async () => {
      const subjects: Subject[] = [
        Subjects.linkCreated,
        Subjects.linkRevoked,
        Subjects.uploadCompleted,
        Subjects.linkRevoked,
        Subjects.notePosted,
      ];
      for (const subject of subjects) await publish(subject);
      expect(await bus.streamInfo()).toEqual({ firstSeq: 1, lastSeq: 5 });

      expect(seqsOf(await collect(bus.read(2, 4)))).toEqual([2, 3, 4]);
      expect(seqsOf(await collect(bus.read(1, 4, Subjects.linkRevoked)))).toEqual([2, 4]);
      expect(await collect(bus.read(3, 2))).toEqual([]);

      const tail = await bus.tail(3);
      running.push(tail);
      const seen: StreamMessage[] = [];
      const tailing = (async () => {
        for await (const message of tail) seen.push(message);
      })();
      await eventually('the stored messages', () => seen.length >= 3);
      await publish(Subjects.linkExpired);
      await publish(Subjects.noteFailed);
      await eventually('the live messages', () => seen.length >= 5);
      await tail.stop();
      await within(2_000, tailing);
      expect(seqsOf(seen)).toEqual([3, 4, 5, 6, 7]);
      expect(seen.map((m) => m.subject)).toEqual([
        Subjects.uploadCompleted,
        Subjects.linkRevoked,
        Subjects.notePosted,
        Subjects.linkExpired,
        Subjects.noteFailed,
      ]);
    });

    it('ends read() as soon as the stream holds nothing more of the range', async () => {
      for (const subject of [Subjects.linkCreated, Subjects.linkRevoked, Subjects.linkCreated]) {
        await publish(subject);
      }
      // A feed catching up asks for more than there is; it must not wait for messages to come.
      const reads = within(1_000, async () => ({
        pastTheEnd: seqsOf(await collect(bus.read(2, 100))),
        filtered: seqsOf(await collect(bus.read(1, 3, Subjects.linkRevoked))),
        beyond: seqsOf(await collect(bus.read(4, 10))),
      }));
      expect(await reads).toEqual({ pastTheEnd: [2, 3], filtered: [2], beyond: [] });
    });

    it('keeps dead-letter subjects out of the main stream', async () => {
      await publish(Subjects.linkCreated);
      const dead = await publish(deadLetterSubject(Subjects.linkCreated), { reason: 'x' });
      expect(dead.duplicate).toBe(false);
      await publish(Subjects.linkRevoked);
      expect(await bus.streamInfo()).toEqual({ firstSeq: 1, lastSeq: 2 });
      const all = await collect(bus.read(1, 2));
      expect(all.map((m) => m.subject)).toEqual([Subjects.linkCreated, Subjects.linkRevoked]);
      const tail = await bus.tail(1);
      running.push(tail);
      const tailed: string[] = [];
      void (async () => {
        for await (const message of tail) tailed.push(message.subject);
      })();
      await eventually('the tail', () => tailed.length >= 2);
      await sleep(200);
      expect(tailed.some((s) => s.startsWith(`${DEAD_LETTER_SUBJECT_PREFIX}.`))).toBe(false);
    });

    it('answers ping while open and rejects it once closed', async () => {
      await bus.ping();
      await bus.close();
      await expect(bus.ping()).rejects.toThrow();
    });

    it('survives a restart: sequences and dedup go on, acked stays acked, the rest comes again', async () => {
      const spec = await consumer({ durable: 'restart', ackWaitMs: 1_000 });
      const seqs = await publishMany(Subjects.linkCreated, 4);
      const before = await record('restart', (msg) => (msg.seq <= 2 ? msg.ack() : undefined));
      await eventually('4 deliveries', () => before.received.length >= 4);
      await before.stop();

      bus = (await sut?.restart()) ?? bus;
      await bus.ensureStreams();
      await bus.ensureConsumer(spec);
      expect(await bus.streamInfo()).toEqual({ firstSeq: 1, lastSeq: 4 });
      expect(await publish(Subjects.linkCreated, {}, 'msg-1')).toEqual({ seq: 1, duplicate: true });
      const [fifth] = await publishMany(Subjects.linkCreated, 1);
      expect(fifth).toBe(5);

      const after = await record('restart');
      await eventually('3 deliveries', () => after.received.length >= 3);
      // Past the ack wait: the acked ones would have come back by now.
      await sleep(1_500);
      const bySeq = after.received
        .map((r) => [r.msg.seq, r.msg.deliveryCount])
        .sort(([x = 0], [y = 0]) => x - y);
      expect(bySeq).toEqual([
        [seqs[2], 2],
        [seqs[3], 2],
        [5, 1],
      ]);
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const seqsOf = (messages: StreamMessage[]) => messages.map((m) => m.seq);

/** What `work` resolves to, or a failure if it takes longer than `ms`. */
async function within<T>(ms: number, work: Promise<T> | (() => Promise<T>)): Promise<T> {
  const promise = typeof work === 'function' ? work() : work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

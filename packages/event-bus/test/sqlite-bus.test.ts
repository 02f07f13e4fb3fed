// What the conformance suite cannot check on JetStream: aging out and the duplicate window (a
// movable clock), the file itself, and what a restart does to deliveries still out.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { Subjects } from '@uplink/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConsumerMessage, EventBus, StreamMessage } from '../src/bus.ts';
import { SqliteEventBus } from '../src/sqlite-bus/index.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

let dir: string;
let file: string;
const open: EventBus[] = [];
let time: number;
const clock = { now: () => new Date(time) };

const openBus = (): SqliteEventBus => {
  const bus = SqliteEventBus.open(file, { clock });
  open.push(bus);
  return bus;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uplink-sqlite-bus-'));
  file = join(dir, 'events.sqlite');
  time = Date.parse('2030-01-01T00:00:00Z');
});
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((bus) => bus.close()));
  await rm(dir, { recursive: true, force: true });
});

const publish = (bus: EventBus, msgId: string) => bus.publish(Subjects.linkCreated, '{}', { msgId });

const collect = async (messages: AsyncIterable<StreamMessage>): Promise<number[]> => {
  const seqs: number[] = [];
  for await (const message of messages) seqs.push(message.seq);
  return seqs;
};

/** The first delivery of `durable`, left unsettled. */
const firstDelivery = async (bus: EventBus, durable: string): Promise<ConsumerMessage> => {
  const source = await bus.consume(durable, { maxInFlight: 1 });
  for await (const delivery of source) {
    await source.stop();
    return delivery;
  }
  throw new Error('the source ended without a delivery');
};

describe('SqliteEventBus', () => {
  it('answers a publish only once the sync that covers it is done, sharing it among publishes', async () => {
    const held: (() => void)[] = [];
    const bus = SqliteEventBus.open(file, {
      clock,
      syncFile: (handle) => new Promise<void>((resolve) => held.push(() => resolve(handle.datasync()))),
    });
    open.push(bus);
    const first = publish(bus, 'a');
    await vi.waitFor(() => expect(held).toHaveLength(1));
    const later = [publish(bus, 'b'), publish(bus, 'c')];
    let answered = 0;
    for (const answer of [first, ...later]) answer.then(() => answered++);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(0);

    held.shift()?.();
    await first;
    expect(answered).toBe(1);
    // b and c came while the first sync ran: they share the next one.
    await vi.waitFor(() => expect(held).toHaveLength(1));
    held.shift()?.();
    expect((await Promise.all(later)).map((result) => result.seq)).toEqual([2, 3]);
    expect(held).toHaveLength(0);
  });

  it('appends the publishes of one turn together, in order, deduplicated among themselves', async () => {
    const bus = openBus();
    const results = await Promise.all([publish(bus, 'a'), publish(bus, 'b'), publish(bus, 'a')]);
    expect(results).toEqual([
      { seq: 1, duplicate: false },
      { seq: 2, duplicate: false },
      { seq: 1, duplicate: true },
    ]);
    // A publish asked for just before close is appended and answered, not lost.
    const last = publish(bus, 'c');
    await bus.close();
    expect(await last).toEqual({ seq: 3, duplicate: false });
    expect((await openBus().streamInfo()).lastSeq).toBe(3);
  });

  it('ages messages out after 7 days, oldest first, and never reuses their sequences', async () => {
    let bus = openBus();
    await bus.ensureConsumer({ durable: 'slow', subjects: [Subjects.linkCreated], ackWaitMs: 60_000 });
    await publish(bus, 'a');
    await publish(bus, 'b');
    time += 3 * DAY_MS;
    await publish(bus, 'c');
    time += 5 * DAY_MS;
    expect(await bus.streamInfo()).toEqual({ firstSeq: 3, lastSeq: 3 });
    expect(await collect(bus.read(1, 3))).toEqual([3]);
    // Messages aged out before the consumer got to them are not delivered.
    expect((await firstDelivery(bus, 'slow')).seq).toBe(3);

    time += 8 * DAY_MS;
    await bus.close();
    bus = openBus();
    expect(await bus.streamInfo()).toEqual({ firstSeq: 4, lastSeq: 3 });
    expect(await publish(bus, 'd')).toEqual({ seq: 4, duplicate: false });
  });

  it('drops a repeated msgId only inside the 10-minute duplicate window', async () => {
    const bus = openBus();
    expect(await publish(bus, 'once')).toEqual({ seq: 1, duplicate: false });
    time += 9 * 60_000;
    expect(await publish(bus, 'once')).toEqual({ seq: 1, duplicate: true });
    time += 2 * 60_000;
    expect(await publish(bus, 'once')).toEqual({ seq: 2, duplicate: false });
  });

  it('keeps dead letters apart, numbered on their own and deduplicated', async () => {
    const bus = openBus();
    await publish(bus, 'main');
    const dead = (msgId: string) => bus.publish('deadletter.link.created', '{}', { msgId });
    expect(await dead('x')).toEqual({ seq: 1, duplicate: false });
    expect(await dead('x')).toEqual({ seq: 1, duplicate: true });
    expect(await dead('main')).toEqual({ seq: 2, duplicate: false });
    expect(await bus.streamInfo()).toEqual({ firstSeq: 1, lastSeq: 1 });
  });

  it('redelivers what was out at close as soon as the file reopens, counting it', async () => {
    let bus = openBus();
    await bus.ensureConsumer({ durable: 'worker', subjects: [Subjects.linkCreated], ackWaitMs: 60_000 });
    await publish(bus, 'a');
    const first = await firstDelivery(bus, 'worker');
    await bus.close();
    // Settling through the closed bus does nothing and does not throw.
    first.ack();

    bus = openBus();
    const again = await firstDelivery(bus, 'worker');
    expect(again).toMatchObject({ seq: 1, deliveryCount: 2 });
    again.ack();
  });

  it('ignores a nak from a delivery that has since been redelivered', async () => {
    const bus = openBus();
    await bus.ensureConsumer({ durable: 'stale', subjects: [Subjects.linkCreated], ackWaitMs: 1_000 });
    await publish(bus, 'a');
    const stale = await firstDelivery(bus, 'stale');
    time += 2_000;
    const current = await firstDelivery(bus, 'stale');
    expect(current.deliveryCount).toBe(2);
    // Rescheduling now would hand the message out again while `current` is being handled.
    stale.nak(0);
    const source = await bus.consume('stale', { maxInFlight: 1 });
    const next = source[Symbol.asyncIterator]().next();
    const early = await Promise.race([next, new Promise((r) => setTimeout(() => r('nothing'), 200))]);
    expect(early).toBe('nothing');
    await source.stop();
    expect(await next).toEqual({ done: true, value: undefined });
  });

  it('claims a batch at once, and a stopped source hands back what it had not handed out, uncounted', async () => {
    const bus = openBus();
    await bus.ensureConsumer({ durable: 'batch', subjects: [Subjects.linkCreated], ackWaitMs: 60_000 });
    for (const msgId of ['a', 'b', 'c']) await publish(bus, msgId);
    const source = await bus.consume('batch', { maxInFlight: 3 });
    let handedOut: ConsumerMessage | undefined;
    for await (const delivery of source) {
      handedOut = delivery;
      // One claim took all three: none is left undelivered.
      expect(await bus.consumerState('batch')).toEqual({ pending: 0, redelivered: 0 });
      break;
    }
    expect(handedOut?.seq).toBe(1);
    // The first stays out for its ack wait; the two claimed with it are due at once, as first deliveries.
    const again = await bus.consume('batch', { maxInFlight: 3 });
    const next: [number, number][] = [];
    for await (const delivery of again) {
      next.push([delivery.seq, delivery.deliveryCount]);
      if (next.length === 2) break;
    }
    expect(next).toEqual([
      [2, 1],
      [3, 1],
    ]);
  });
  it('rejects consumers whose filters lie outside the stream', async () => {
    const bus = openBus();
    const spec = (subjects: string[]) =>
      ({ durable: 'bad', subjects }) as Parameters<EventBus['ensureConsumer']>[0];
    await expect(bus.ensureConsumer(spec(['deadletter.link.created']))).rejects.toThrow(/outside the stream/);
    await expect(bus.ensureConsumer(spec(['link.*.>x']))).rejects.toThrow(/outside the stream/);
    await bus.ensureConsumer(spec(['link.*']));
  });

  it('adds the subject index to a file from before it, and finds the messages already there', async () => {
    let bus = openBus();
    const seqs = [(await publish(bus, 'a')).seq, (await publish(bus, 'b')).seq];
    await bus.close();
    const raw = new DatabaseSync(file);
    raw.exec('DROP INDEX messages_by_subject; PRAGMA user_version = 1');
    raw.close();

    bus = openBus();
    await bus.ensureConsumer({ durable: 'later', subjects: [Subjects.linkCreated] });
    expect((await firstDelivery(bus, 'later')).seq).toBe(seqs[0]);
    expect(await bus.consumerState('later')).toMatchObject({ pending: 1 });
    await bus.close();
    const migrated = new DatabaseSync(file);
    try {
      expect(migrated.prepare('PRAGMA user_version').get()).toEqual({ user_version: 2 });
      expect(
        migrated.prepare(`SELECT name FROM sqlite_master WHERE name = 'messages_by_subject'`).get(),
      ).toEqual({
        name: 'messages_by_subject',
      });
    } finally {
      migrated.close();
    }
  });

  it('keeps its file in WAL mode, in a folder it creates', async () => {
    file = join(dir, 'nested', 'deeper', 'events.sqlite');
    const bus = openBus();
    await publish(bus, 'a');
    expect(existsSync(`${file}-wal`)).toBe(true);
  });

  it('keeps its file to itself while open: no other connection may even read it', async () => {
    const bus = openBus();
    await publish(bus, 'a');
    const count = () => {
      const other = new DatabaseSync(file, { timeout: 0 });
      try {
        return other.prepare('SELECT count(*) AS n FROM messages').get()?.n;
      } finally {
        other.close();
      }
    };
    expect(count).toThrow(/locked/);
    await bus.close();
    expect(count()).toBe(1);
  });

  it('does not keep the process alive while a consumer or tail waits', async () => {
    const script = join(dir, 'waiting.ts');
    const entry = fileURLToPath(new URL('../src/sqlite-bus/index.ts', import.meta.url));
    await writeFile(
      script,
      `import { SqliteEventBus } from ${JSON.stringify(entry)};
       const bus = SqliteEventBus.open(${JSON.stringify(join(dir, 'child.sqlite'))});
       await bus.ensureConsumer({ durable: 'c', subjects: ['link.created'], ackWaitMs: 600000 });
       await bus.publish('link.created', '{}', { msgId: 'a' });
       const tail = await bus.tail(1);
       void (async () => { for await (const m of tail) console.log('tail', m.seq); })();
       for await (const d of await bus.consume('c', { maxInFlight: 1 })) console.log('got', d.seq);`,
    );
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, [script], { timeout: 15_000 }, (err, out) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: out }),
      );
      child.stdin?.end();
    });
    expect(stdout).toContain('got 1');
    expect(stdout).toContain('tail 1');
    // 13: Node's exit code for a top-level await that can never settle, i.e. nothing held it open.
    expect(code).toBe(13);
  });
});

// Helpers for integration tests: real servers, a unique database per test file, captured logs.
// Imported by tests only (package export "@uplink/kit/testing").
import { Writable } from 'node:stream';
import type { JsMsg } from '@nats-io/jetstream';
import { SCHEMA_VERSION, STREAM_NAME, Subjects, type UplinkEvent } from '@uplink/contracts';
import { type NatsServer, startNats } from '@uplink/dev-servers';
import { inject } from 'vitest';
import { randomId } from './ids.ts';
import { createLogger, type Logger } from './logger.ts';
import { connectMongo, type Mongo } from './mongo.ts';
import type { NatsEventBus } from './nats.ts';
import { connectNatsBus } from './nats-connect.ts';

export type LogLine = { level: number; msg: string; type?: string; [key: string]: unknown };

/** A logger whose JSON lines land in `lines`, so tests can assert on what was logged. */
export function captureLogger(service = 'test'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ service, level: 'debug', destination }), lines };
}

/**
 * FerretDB v1 runs every update as a query followed by an unconditional whole-document write
 * (internal/handler/msg_update.go), so concurrent writes to one document can both "match" and
 * the later one erases the earlier. MongoDB applies each single-document update atomically,
 * which is what Uplink's state machine relies on. Against FerretDB, tests send one command at a
 * time per process, which restores that per-document atomicity; against a real mongod they use
 * the driver's normal pool.
 */
export function mongoTestOptions(): { maxPoolSize?: number } {
  return inject('mongoKind') === 'ferretdb' ? { maxPoolSize: 1 } : {};
}

export type TestInfra = {
  mongo: Mongo;
  nats: NatsServer;
  logger: Logger;
  logs: LogLine[];
  /** A new connection to this file's NATS server, with the streams declared. */
  connectBus(name?: string): Promise<NatsEventBus>;
  close(): Promise<void>;
};

/**
 * Real servers for one test file: its own nats-server (tests stop and restart it), and a fresh
 * database on the run's shared MongoDB-wire server.
 */
export async function startTestInfra(): Promise<TestInfra> {
  const nats = await startNats();
  const { logger, lines } = captureLogger();
  const mongo = await connectMongo(
    inject('mongoUri'),
    `test_${randomId('db', 12)}`,
    'tests',
    mongoTestOptions(),
  );
  const buses: NatsEventBus[] = [];
  return {
    mongo,
    nats,
    logger,
    logs: lines,
    async connectBus(name = 'test') {
      const bus = await connectNatsBus(nats.url, name, logger);
      await bus.ensureStreams();
      buses.push(bus);
      return bus;
    },
    async close() {
      await Promise.allSettled(buses.map((bus) => bus.close()));
      await mongo.db.dropDatabase().catch(() => {});
      await mongo.client.close();
      await nats.stop();
    },
  };
}

/** Every message currently in the stream on `subject` (read without a durable consumer). */
export async function streamMessages(bus: NatsEventBus, subject: string): Promise<JsMsg[]> {
  const consumer = await bus.js.consumers.get(STREAM_NAME, { filter_subjects: [subject] });
  const info = await consumer.info(true);
  const messages: JsMsg[] = [];
  if (info.num_pending === 0) return messages;
  const batch = await consumer.fetch({ max_messages: info.num_pending, expires: 2_000 });
  for await (const msg of batch) {
    messages.push(msg);
    if (messages.length >= info.num_pending) break;
  }
  return messages;
}

/** Polls until `check` returns a truthy value, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** A valid `link.revoked` event for a link, for tests that need any real event. */
export function sampleRevokedEvent(linkId: string): UplinkEvent {
  const now = new Date().toISOString();
  return {
    schemaVersion: SCHEMA_VERSION,
    eventId: `${linkId}:${Subjects.linkRevoked}`,
    type: Subjects.linkRevoked,
    occurredAt: now,
    tenantId: 'ten_AAAAAAAAAAAAAAAAAAAA',
    linkId,
    data: { shortId: '3bc4', ticket: { provider: 'webhook', id: 't1' }, expiresAt: now, revokedAt: now },
  };
}

// Helpers for integration tests: real servers, a unique database per test file, captured logs.
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { JsMsg } from '@nats-io/jetstream';
import { SCHEMA_VERSION, STREAM_NAME, Subjects, type UplinkEvent } from '@uplink/contracts';
import { type NatsServer, startNats } from '@uplink/dev-servers';
import { type NatsEventBus, openNatsBus } from '@uplink/event-bus/nats';
import { connectMongo, createLogger, type Logger, type Mongo, randomId } from '@uplink/kit';
import { inject } from 'vitest';

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
      const bus = await openNatsBus(nats.url, name, logger);
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

export type RawAnswer = { status: number; headers: Record<string, string>; body: string };

/**
 * One HTTP/1.1 exchange over its own connection, written by hand: for what fetch cannot send
 * (oversized headers, a body in parts, malformed requests). `request` is the text to send first,
 * `send` writes more later; the answer resolves once the server closed the connection (ask for
 * that with `connection: close`). Never half-closes: Node drops a request whose client did.
 */
export function rawHttp(
  port: number,
  request: string,
): { send(more: string): void; answer: Promise<RawAnswer> } {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => {
      const split = received.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(received.slice(0, 200))}`));
      const [statusLine = '', ...fields] = received.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const field of fields) {
        const colon = field.indexOf(':');
        headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: received.slice(split + 4) });
    });
  });
  socket.write(request);
  return { send: (more) => void socket.write(more), answer };
}

/**
 * A JSON `POST path` sent with its headers and half its body now, the rest when `finish` is
 * called: until then the server holds the request in flight (a graceful stop must finish it).
 */
export function requestInTwoParts(port: number, path: string, headers: Record<string, string>, body: string) {
  const head = [
    `POST ${path} HTTP/1.1`,
    'host: 127.0.0.1',
    'connection: close',
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  const half = Math.floor(body.length / 2);
  const exchange = rawHttp(port, `${head}\r\n\r\n${body.slice(0, half)}`);
  return {
    async finish(): Promise<{ status: number; body: unknown }> {
      exchange.send(body.slice(half));
      const answer = await exchange.answer;
      return { status: answer.status, body: JSON.parse(answer.body) };
    },
  };
}

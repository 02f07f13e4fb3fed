// Helpers for integration tests: real servers, a unique database per test file, captured logs.
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SCHEMA_VERSION, Subjects, type UplinkEvent } from '@uplink/contracts';
import { type NatsServer, startNats } from '@uplink/dev-servers';
import { type EventBus, SqliteEventBus, type StreamMessage } from '@uplink/event-bus';
import { type NatsEventBus, openNatsBus } from '@uplink/event-bus/nats';
import { createLogger, type Logger, randomId } from '@uplink/kit';
import { preparedStore, SqliteStore, type Store } from '@uplink/store';
import { connectMongo, type Mongo, MongoStore } from '@uplink/store/mongo';
import { inject, it } from 'vitest';
import { closeWhenDone } from './auto-close.ts';

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

/**
 * Which adapters the service harnesses build the apps on: `servers` (the default) is MongoDB-wire
 * and NATS JetStream, as in production; `embedded` is the SQLite session store and the SQLite
 * event bus of `npm start`, in a temporary folder. Set with UPLINK_TEST_ADAPTERS.
 */
export type TestAdapters = 'servers' | 'embedded';

export const TEST_ADAPTERS: TestAdapters = testAdaptersFrom(process.env.UPLINK_TEST_ADAPTERS);

function testAdaptersFrom(value: string | undefined): TestAdapters {
  if (value === undefined || value === '' || value === 'servers') return 'servers';
  if (value === 'embedded') return 'embedded';
  throw new Error(`UPLINK_TEST_ADAPTERS must be 'servers' or 'embedded', not '${value}'`);
}

/**
 * `it` on MongoDB-wire + NATS; skipped on the embedded adapters. For a test that needs the
 * servers themselves (stopping nats-server, reading MongoDB's raw documents): `why` says what.
 */
export function itOnServers(why: string): ReturnType<typeof it.skipIf> {
  if (!why) throw new Error('say why the test needs MongoDB-wire and NATS');
  return it.skipIf(TEST_ADAPTERS === 'embedded');
}

/** What one test file runs on: a session store and an event bus, with the logs they wrote. */
export type TestInfra = {
  adapters: TestAdapters;
  logger: Logger;
  logs: LogLine[];
  /** The file's session store, prepared (one per file, shared by every service under test). */
  store(): Promise<Store>;
  /**
   * An event bus with the streams declared: a new connection to the file's nats-server, or the
   * file's one embedded bus (one process owns an SQLite bus).
   */
  connectBus(name?: string): Promise<EventBus>;
  /** The servers, on `servers` only; a test that needs them runs with itOnServers. */
  servers(): ServerInfra;
  close(): Promise<void>;
};

/** Real servers for one test file, whatever UPLINK_TEST_ADAPTERS says. */
export type ServerInfra = Omit<TestInfra, 'adapters' | 'connectBus' | 'servers'> & {
  adapters: 'servers';
  mongo: Mongo;
  nats: NatsServer;
  connectBus(name?: string): Promise<NatsEventBus>;
  servers(): ServerInfra;
};

/** The adapters UPLINK_TEST_ADAPTERS names, for one test file; closed when the file is done. */
export function startTestInfra(): Promise<TestInfra> {
  return TEST_ADAPTERS === 'embedded' ? startEmbeddedInfra() : startServerInfra();
}

/**
 * Real servers for one test file: its own nats-server (tests stop and restart it), and a fresh
 * database on the run's shared MongoDB-wire server. Closed when the test or file that started
 * them is done.
 */
export async function startServerInfra(): Promise<ServerInfra> {
  const nats = await startNats();
  const { logger, lines } = captureLogger();
  const mongo = await connectMongo(
    inject('mongoUri'),
    `test_${randomId('db', 12)}`,
    'tests',
    mongoTestOptions(),
  );
  const buses: NatsEventBus[] = [];
  let store: Promise<Store> | undefined;
  const infra: ServerInfra = {
    adapters: 'servers',
    mongo,
    nats,
    logger,
    logs: lines,
    store() {
      store ??= MongoStore.prepared(mongo);
      return store;
    },
    async connectBus(name = 'test') {
      const bus = await openNatsBus(nats.url, name, logger);
      await bus.ensureStreams();
      buses.push(bus);
      return bus;
    },
    servers: () => infra,
    close: closeWhenDone(async () => {
      await Promise.allSettled(buses.map((bus) => bus.close()));
      await mongo.db.dropDatabase().catch(() => {});
      await mongo.client.close();
      await nats.stop();
    }),
  };
  return infra;
}

async function startEmbeddedInfra(): Promise<TestInfra> {
  const dir = await mkdtemp(join(tmpdir(), 'uplink-test-'));
  const { logger, lines } = captureLogger();
  const store = await preparedStore(new SqliteStore(join(dir, 'sessions.sqlite')));
  const bus = SqliteEventBus.open(join(dir, 'events.sqlite'), { logger });
  return {
    adapters: 'embedded',
    logger,
    logs: lines,
    store: async () => store,
    connectBus: async () => bus,
    servers() {
      throw new Error('this test needs MongoDB-wire and NATS: declare it with itOnServers(why)');
    },
    close: closeWhenDone(async () => {
      await bus.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }),
  };
}

/** Every message the main stream holds on `subject`, oldest first (read without a consumer). */
export async function streamMessages(bus: EventBus, subject: string): Promise<StreamMessage[]> {
  const { firstSeq, lastSeq } = await bus.streamInfo();
  const messages: StreamMessage[] = [];
  if (lastSeq === 0) return messages;
  for await (const message of bus.read(firstSeq, lastSeq, subject)) messages.push(message);
  return messages;
}

/** The events the main stream holds on `subject`, oldest first. */
export async function streamEvents<E>(bus: EventBus, subject: string): Promise<E[]> {
  return (await streamMessages(bus, subject)).map((message) => message.json() as E);
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

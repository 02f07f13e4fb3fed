import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import {
  DEAD_LETTER_STREAM_NAME,
  DEAD_LETTER_SUBJECT_PREFIX,
  STREAM_NAME,
  STREAM_SUBJECTS,
} from '@uplink/contracts';
import type { Logger } from 'pino';

export type Bus = { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The duplicate window must outlast the outbox sweep's re-publish delay: an entry published
 * just before a crash is re-sent by the sweep and dropped here as a duplicate.
 */
export const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;

const STREAMS: (Partial<StreamConfig> & { name: string })[] = [
  {
    name: STREAM_NAME,
    subjects: [...STREAM_SUBJECTS],
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    max_age: nanos(7 * DAY_MS),
  },
  {
    name: DEAD_LETTER_STREAM_NAME,
    subjects: [`${DEAD_LETTER_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    max_age: nanos(30 * DAY_MS),
  },
];

export async function connectNats(url: string, name: string, logger: Logger): Promise<Bus> {
  const nc = await connect({
    servers: url,
    name,
    // Keep trying for as long as the process lives: the outbox holds events meanwhile.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  const log = logger.child({ type: 'nats' });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
        log.warn({ status: s.type, server: 'server' in s ? s.server : undefined }, `NATS ${s.type}`);
      }
    }
  })();
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

/** Creates Uplink's streams, or brings an existing one's settings up to date. Safe to repeat. */
export async function ensureStreams(jsm: JetStreamManager): Promise<void> {
  for (const config of STREAMS) {
    const name = config.name;
    const exists = await jsm.streams.info(name).then(
      () => true,
      (err: unknown) => {
        if ((err as { name?: string }).name === 'StreamNotFoundError') return false;
        throw err;
      },
    );
    if (exists) await jsm.streams.update(name, config);
    else await jsm.streams.add(config);
  }
}

export async function closeNats(bus: Bus): Promise<void> {
  if (bus.nc.isClosed()) return;
  await bus.nc.drain();
}

export async function pingNats(bus: Bus): Promise<void> {
  if (bus.nc.isClosed()) throw new Error('NATS connection is closed');
  await bus.nc.flush();
  await bus.jsm.getAccountInfo();
}

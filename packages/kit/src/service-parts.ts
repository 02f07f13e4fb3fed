// The pieces every service's app factory assembles the same way.
import type { Logger } from 'pino';
import type { EventBus } from './bus.ts';
import type { Clock } from './clock.ts';
import { type RunningConsumer, startConsumer } from './events.ts';
import { createHttpApp, type HttpApp, type HttpAppOptions } from './http.ts';
import type { OutboxPublisher } from './outbox.ts';
import type { Worker } from './service.ts';

/** What every session store offers the service frame: readiness, its errors' meaning and shutdown. */
export type StoreHandle = {
  readonly kind: string;
  ping(): Promise<void>;
  /** Whether `err` means the store cannot answer now (unreachable, locked): 503, not 500. */
  isUnavailable(err: unknown): boolean;
  close(): Promise<void>;
};

/**
 * What a service's app factory is built from; tests and the one-process runner pass the same
 * with other adapters. `S` is the session store (the service's packages know its full port).
 */
export type AppDeps<C, S extends StoreHandle = StoreHandle> = {
  config: C;
  logger: Logger;
  store: S;
  bus: EventBus;
  clock: Clock;
  /** Tests shorten the outbox sweep; production keeps the defaults. */
  outbox?: { sweepIntervalMs?: number; staleAfterMs?: number };
};

/** The service's HTTP app, ready only while its session store and event bus answer. */
export function serviceHttpApp(
  deps: Pick<AppDeps<unknown>, 'logger' | 'store' | 'bus'>,
  options: Omit<HttpAppOptions, 'logger' | 'readiness'> = {},
): HttpApp {
  const { logger, store, bus } = deps;
  return createHttpApp({
    ...options,
    logger,
    readiness: { [store.kind]: () => store.ping(), [bus.kind]: () => bus.ping() },
    isUnavailable: (err) => store.isUnavailable(err),
  });
}

export function outboxWorker(outbox: Pick<OutboxPublisher, 'start' | 'stop'>): Worker {
  return {
    name: 'outbox publisher',
    start: () => outbox.start(),
    stop: () => outbox.stop(),
    publishesOutbox: true,
  };
}

/** A durable consumer as a worker: consuming from start() until stop(). */
export function consumerWorker(options: Parameters<typeof startConsumer>[0]): Worker {
  let consumer: RunningConsumer | undefined;
  return {
    name: `${options.spec.durable} consumer`,
    start: () => {
      consumer = startConsumer(options);
    },
    stop: async () => consumer?.stop(),
  };
}

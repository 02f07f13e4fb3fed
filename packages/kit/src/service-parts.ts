// The pieces every service's app factory assembles the same way.
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { type RunningConsumer, startConsumer } from './events.ts';
import { createHttpApp, type HttpApp, type HttpAppOptions } from './http.ts';
import { type Mongo, pingMongo } from './mongo.ts';
import { type Bus, pingNats } from './nats.ts';
import type { OutboxPublisher } from './outbox.ts';
import type { Worker } from './service.ts';

/** What a service's app factory is built from; tests pass the same on test servers. */
export type AppDeps<C> = {
  config: C;
  logger: Logger;
  mongo: Mongo;
  bus: Bus;
  clock: Clock;
  /** Tests shorten the outbox sweep; production keeps the defaults. */
  outbox?: { sweepIntervalMs?: number; staleAfterMs?: number };
};

/** The service's HTTP app, ready only while MongoDB and NATS answer. */
export function serviceHttpApp(
  deps: Pick<AppDeps<unknown>, 'logger' | 'mongo' | 'bus'>,
  options: Omit<HttpAppOptions, 'logger' | 'readiness'> = {},
): HttpApp {
  const { logger, mongo, bus } = deps;
  return createHttpApp({
    ...options,
    logger,
    readiness: { mongodb: () => pingMongo(mongo.db), nats: () => pingNats(bus) },
  });
}

export function outboxWorker(outbox: Pick<OutboxPublisher<never>, 'start' | 'stop'>): Worker {
  return { name: 'outbox publisher', start: () => outbox.start(), stop: () => outbox.stop() };
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

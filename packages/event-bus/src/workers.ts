// The bus's work as service workers (see Worker in @uplink/kit's service.ts).
import type { Worker } from '@uplink/kit';
import { type RunningConsumer, startConsumer } from './events.ts';
import type { OutboxPublisher } from './outbox.ts';

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

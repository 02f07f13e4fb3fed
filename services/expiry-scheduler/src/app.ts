import { Subjects } from '@uplink/contracts';
import { consumerWorker, type EventBus, OutboxPublisher, outboxWorker } from '@uplink/event-bus';
import { type AppDeps, type Service, serviceHttpApp } from '@uplink/kit';
import type { Store } from '@uplink/store';
import type { ExpirySchedulerConfig } from './env.ts';
import { ExpiryScheduler } from './expiry-scheduler.ts';

export const CONSUMER = { durable: 'expiry-scheduler', subjects: [Subjects.linkCreated] };

export type ExpirySchedulerDeps = AppDeps<
  Pick<ExpirySchedulerConfig, 'EXPIRY_LOOKAHEAD_MS' | 'EXPIRY_SWEEP_INTERVAL_MS'>,
  Store,
  EventBus
>;

export async function buildExpiryScheduler(
  deps: ExpirySchedulerDeps,
): Promise<Service & { scheduler: ExpiryScheduler }> {
  const { config, logger, store, bus, clock } = deps;
  const { links } = store;
  const outbox = new OutboxPublisher({ store: links.outbox, bus, logger, clock, ...deps.outbox });
  const scheduler = new ExpiryScheduler({
    links,
    outbox,
    clock,
    logger,
    lookaheadMs: config.EXPIRY_LOOKAHEAD_MS,
    sweepIntervalMs: config.EXPIRY_SWEEP_INTERVAL_MS,
  });

  return {
    app: serviceHttpApp(deps),
    scheduler,
    startup: [{ name: 'declare the expiry-scheduler consumer', run: () => bus.ensureConsumer(CONSUMER) }],
    workers: [
      outboxWorker(outbox),
      { name: 'expiry scheduler', start: () => scheduler.start(), stop: () => scheduler.stop() },
      consumerWorker({
        bus,
        spec: CONSUMER,
        logger,
        concurrency: 8,
        handler: async (created) => {
          if (created.type !== Subjects.linkCreated) return;
          scheduler.watch({
            _id: created.linkId,
            tenantId: created.tenantId,
            shortId: created.data.shortId,
            ticket: created.data.ticket,
            expiresAt: new Date(created.data.expiresAt),
          });
        },
      }),
    ],
  };
}

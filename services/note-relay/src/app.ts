import { Subjects } from '@uplink/contracts';
import {
  type AppDeps,
  type CommonConfig,
  consumerWorker,
  ensureConsumer,
  OutboxPublisher,
  outboxWorker,
  SecretBox,
  type Service,
  serviceHttpApp,
} from '@uplink/kit';
import { FileShareStore, LinkStore } from '@uplink/links';
import { BlobStorage } from '@uplink/storage';
import { DestinationStore } from '@uplink/tenants';
import { destinationFactory } from './destinations/index.ts';
import type { NoteRelayConfig } from './env.ts';
import { NoteRelay } from './note-relay.ts';

const HOUR_MS = 60 * 60 * 1000;

export function consumerSpec(config: Pick<NoteRelayConfig, 'DELIVERY_ATTEMPT_MS' | 'DELIVERY_MAX_ATTEMPTS'>) {
  return {
    durable: 'note-relay',
    subjects: [Subjects.uploadCompleted],
    maxDeliver: config.DELIVERY_MAX_ATTEMPTS,
    ackWaitMs: config.DELIVERY_ATTEMPT_MS,
    backoffMs: [1_000, 5_000, 15_000, 60_000, 120_000],
  };
}

export type NoteRelayDeps = AppDeps<Omit<NoteRelayConfig, keyof CommonConfig>> & {
  /** Tests shorten the consumer's backoff. */
  backoffMs?: number[];
};

/** Delivers received files to their tickets: a consumer of upload.completed. Never listens. */
export async function buildNoteRelay(deps: NoteRelayDeps): Promise<Service & { relay: NoteRelay }> {
  const { config, logger, mongo, bus, clock } = deps;
  if (!config.UPLINK_SECRET_KEYS) {
    throw new Error("note-relay needs UPLINK_SECRET_KEYS to open the tenants' destination credentials.");
  }
  const links = new LinkStore(mongo.db);
  const shares = new FileShareStore(mongo.db);
  await links.ensureIndexes();
  await shares.ensureIndexes();
  const spec = { ...consumerSpec(config), ...(deps.backoffMs ? { backoffMs: deps.backoffMs } : {}) };
  await ensureConsumer(bus, spec);
  const outbox = new OutboxPublisher({ collection: links.collection, bus, logger, clock, ...deps.outbox });
  const relay = new NoteRelay({
    links,
    shares,
    publicFileBaseUrl: config.PUBLIC_FILE_BASE_URL,
    destinations: new DestinationStore(mongo.db, SecretBox.parse(config.UPLINK_SECRET_KEYS)),
    storage: await BlobStorage.fromConfig(config),
    outbox,
    destinationFor: destinationFactory({ fileLinkTtlMs: config.FILE_LINK_TTL_HOURS * HOUR_MS }),
    clock,
    logger: logger.child({ type: 'relay' }),
    attemptMs: config.DELIVERY_ATTEMPT_MS,
  });

  return {
    app: serviceHttpApp(deps),
    relay,
    workers: [
      outboxWorker(outbox),
      consumerWorker({
        bus,
        spec,
        logger,
        concurrency: config.DELIVERY_CONCURRENCY,
        handler: async (event, ctx) => {
          if (event.type !== Subjects.uploadCompleted) return;
          await relay.handle(event, ctx.isLastDelivery);
        },
      }),
    ],
  };
}

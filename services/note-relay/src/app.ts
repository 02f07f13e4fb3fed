import { Subjects } from '@uplink/contracts';
import { EgressClient, type Resolve } from '@uplink/egress';
import { consumerWorker, type EventBus, OutboxPublisher, outboxWorker } from '@uplink/event-bus';
import {
  type AppDeps,
  type CommonConfig,
  logFor,
  SecretBox,
  type Service,
  serviceHttpApp,
} from '@uplink/kit';
import type { BlobStore } from '@uplink/storage';
import { AuditRecorder, type Store } from '@uplink/store';
import { DestinationStore, extraHostList } from '@uplink/tenants';
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

export type NoteRelayDeps = AppDeps<Omit<NoteRelayConfig, keyof CommonConfig>, Store, EventBus> & {
  /** The uploads container: delivered files are read from it. */
  storage: BlobStore;
  /** Tests shorten the consumer's backoff. */
  backoffMs?: number[];
  /** Tests resolve names of their own (DNS cannot be changed here): to loopback, say. */
  resolve?: Resolve;
};

/** Delivers received files to their tickets: a consumer of upload.completed. Never listens. */
export async function buildNoteRelay(deps: NoteRelayDeps): Promise<Service & { relay: NoteRelay }> {
  const { config, logger, store, bus, clock } = deps;
  const { links, shares } = store;
  const spec = { ...consumerSpec(config), ...(deps.backoffMs ? { backoffMs: deps.backoffMs } : {}) };
  const outbox = new OutboxPublisher({ store: links.outbox, bus, logger, clock, ...deps.outbox });
  // Every call to a tenant's destination goes through this one client.
  const egress = new EgressClient({
    allowLoopback: config.EGRESS_ALLOW_LOOPBACK,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  });
  const policy = {
    allowLoopback: config.EGRESS_ALLOW_LOOPBACK,
    extraHosts: extraHostList(config.DESTINATION_EXTRA_HOSTS),
  };
  const relay = new NoteRelay({
    links,
    shares,
    publicFileBaseUrl: config.PUBLIC_FILE_BASE_URL,
    destinations: new DestinationStore(store.tenants, SecretBox.parse(config.UPLINK_SECRET_KEYS), policy),
    storage: deps.storage,
    outbox,
    audit: new AuditRecorder(store.audit, clock),
    destinationFor: destinationFactory({ fileLinkTtlMs: config.FILE_LINK_TTL_HOURS * HOUR_MS, egress }),
    clock,
    logger: logFor(logger, 'delivery'),
    attemptMs: config.DELIVERY_ATTEMPT_MS,
  });

  const app = serviceHttpApp(deps);
  app.addHook('onClose', () => egress.close());
  return {
    app,
    relay,
    startup: [{ name: 'declare the note-relay consumer', run: () => bus.ensureConsumer(spec) }],
    workers: [
      outboxWorker(outbox),
      consumerWorker({
        bus,
        spec,
        logger,
        concurrency: config.DELIVERY_CONCURRENCY,
        handler: async (event, ctx) => {
          if (event.type !== Subjects.uploadCompleted) return;
          await relay.handle(event, ctx);
        },
      }),
    ],
  };
}

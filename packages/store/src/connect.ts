// The production composition root's connections (MongoDB and NATS JetStream), a subpath of its
// own (`@uplink/store/production`): the one-process default imports the package's index
// and must not load the NATS client.

import type { EventBus } from '@uplink/event-bus';
import { openNatsBus } from '@uplink/event-bus/nats';
import type { CommonConfig, Logger } from '@uplink/kit';
import { connectMongo } from './mongo/connection.ts';
import { MongoStore } from './mongo/mongo-store.ts';
import { preparedStore, type Store } from './store.ts';

/** The production store (MongoDB), its indexes declared: what the tenant CLI opens in a deployment. */
export async function connectProductionStore(
  config: Pick<CommonConfig, 'MONGODB_URI' | 'MONGODB_DB'>,
  name: string,
): Promise<Store> {
  return preparedStore(new MongoStore(await connectMongo(config.MONGODB_URI, config.MONGODB_DB, name)));
}

/**
 * How a service on its own (a container) connects: MongoDB and NATS JetStream, with indexes and
 * streams declared. The one-process default picks its adapters in @uplink/embedded instead.
 */
export async function connectProduction(
  config: Pick<CommonConfig, 'MONGODB_URI' | 'MONGODB_DB' | 'NATS_URL'>,
  name: string,
  logger: Logger,
): Promise<{ store: Store; bus: EventBus }> {
  const store = await connectProductionStore(config, name);
  try {
    const bus = await openNatsBus(config.NATS_URL, name, logger);
    await bus.ensureStreams();
    return { store, bus };
  } catch (err) {
    await store.close();
    throw err;
  }
}

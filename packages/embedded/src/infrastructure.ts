// Azurite alone, not the dev-servers index: that also loads the MongoDB driver and Playwright,
// which the embedded default does not use.
import { AZURITE_ACCOUNT_NAME, startAzuriteInProcess } from '@uplink/dev-servers/azurite-in-process';
import { type EventBus, SqliteEventBus } from '@uplink/event-bus';
import { type Logger, loadConfig } from '@uplink/kit';
import { preparedStore, SqliteStore, type Store } from '@uplink/store';
import type { DataFolder } from './data-folder.ts';
import { NpmStartEnv } from './npm-start-env.ts';

/** Where blobs go: Azure (or any Blob endpoint) by connection string, or Azurite in this process. */
export type BlobService = { connectionString: string; describe: string; stop(): Promise<void> };

/** The session store, event bus and blob service the four services share in one process. */
export type Infrastructure = {
  store: Store;
  bus: EventBus;
  blobs: BlobService;
  close(): Promise<void>;
};

/**
 * Picks each adapter from the environment: `MONGODB_URI`, `NATS_URL` and
 * `AZURE_STORAGE_CONNECTION_STRING` select the production ones; without them the data folder
 * holds an SQLite session store, an SQLite event bus and Azurite's blobs, so a fresh machine
 * needs nothing but Node and the npm packages.
 */
export async function openInfrastructure(
  env: NodeJS.ProcessEnv,
  data: DataFolder,
  logger: Logger,
): Promise<Infrastructure> {
  const opened: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closeOne of opened.reverse()) await closeOne().catch(() => undefined);
  };
  try {
    const store = await openStore(env, data, 'uplink');
    opened.push(() => store.close());

    const bus: EventBus = env.NATS_URL
      ? await openJetStream(env.NATS_URL, logger)
      : SqliteEventBus.open(data.file('events.sqlite'), { logger });
    opened.push(() => bus.close());
    await bus.ensureStreams();

    const blobs = await openBlobService(env, data);
    opened.push(() => blobs.stop());
    return { store, bus, blobs, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The session store of the one-process default: MongoDB when `MONGODB_URI` is set, else the
 * SQLite file in the data folder. `npm start` and `npm run tenant` both open it here, so they
 * always find the same data. Prepared (indexes, schema).
 */
export async function openStore(env: NodeJS.ProcessEnv, data: DataFolder, appName: string): Promise<Store> {
  return preparedStore(
    env.MONGODB_URI
      ? await openMongoStore(env.MONGODB_URI, env.MONGODB_DB || 'uplink', appName)
      : new SqliteStore(data.file('sessions.sqlite')),
  );
}

/** The MongoDB adapters and driver, loaded only when MONGODB_URI asks for them (as NATS below). */
async function openMongoStore(uri: string, dbName: string, appName: string): Promise<Store> {
  const { connectMongo, MongoStore } = await import('@uplink/store/mongo');
  return new MongoStore(await connectMongo(uri, dbName, appName));
}

/**
 * The JetStream adapter, loaded only when NATS_URL asks for it: without it, npm start never
 * loads the NATS client (a test checks), which is why this import is not at the top.
 */
async function openJetStream(url: string, logger: Logger): Promise<EventBus> {
  const { openNatsBus } = await import('@uplink/event-bus/nats');
  return openNatsBus(url, 'uplink', logger);
}

async function openBlobService(env: NodeJS.ProcessEnv, data: DataFolder): Promise<BlobService> {
  if (env.AZURE_STORAGE_CONNECTION_STRING) {
    const endpoint = /BlobEndpoint=([^;]+)/.exec(env.AZURE_STORAGE_CONNECTION_STRING)?.[1];
    const account = /AccountName=([^;]+)/.exec(env.AZURE_STORAGE_CONNECTION_STRING)?.[1];
    return {
      connectionString: env.AZURE_STORAGE_CONNECTION_STRING,
      describe: endpoint ?? `https://${account ?? '?'}.blob.core.windows.net`,
      stop: async () => {},
    };
  }
  const azurite = await startAzuriteInProcess({
    dataDir: data.file('blobs'),
    port: loadConfig(NpmStartEnv, env).AZURITE_BLOB_PORT,
  });
  return {
    connectionString: azurite.connectionString,
    describe: `Azurite (in process) at ${azurite.blobEndpoint}, account ${AZURITE_ACCOUNT_NAME}`,
    stop: () => azurite.stop(),
  };
}

// Azurite's blob service inside this Node process: no child process, no CLI. Azurite is
// CommonJS without type declarations and its in-process API is not documented, so the few
// classes used here are required from their dist paths and typed by the interfaces below
// (checked against azurite 3.37.0: dist/src/blob/BlobServerFactory.js builds the same objects).
// Telemetry stays off: only Azurite's main.js starts it, and nothing here calls that.
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire, Module } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AZURITE_ACCOUNT_NAME, type AzuriteServer, azuriteConnection } from './azurite.ts';
import { journalLokiStore, type LokiMetadataStore, syncFolder } from './loki-journal.ts';

export { AZURITE_ACCOUNT_NAME };

export interface StartAzuriteInProcessOptions {
  /**
   * Blob metadata (LokiJS JSON files and their journals) and blob contents live here; a restart
   * on it keeps every blob, after a crash too.
   */
  dataDir: string;
  /** Default: a free port chosen by the OS. */
  port?: number;
}

interface PersistenceLocation {
  locationId: string;
  locationPath: string;
  maxConcurrency: number;
}

type BlobConfigurationClass = new (
  host: string,
  port: number,
  keepAliveTimeout: number,
  metadataDBPath: string,
  extentDBPath: string,
  persistencePathArray: PersistenceLocation[],
  enableAccessLog: boolean,
  accessLogWriteStream: NodeJS.WritableStream | undefined,
  enableDebugLog: boolean,
  debugLogFilePath: string | undefined,
  loose: boolean,
  skipApiVersionCheck: boolean,
  cert: string,
  key: string,
  pwd: string,
  oauth: string | undefined,
  disableProductStyleUrl: boolean,
  isMemoryPersistence: boolean,
) => object;

/** Azurite's extent metadata store: the extent files holding blobs' bytes, each by its id. */
interface ExtentMetadataStore extends LokiMetadataStore {
  /** Records an extent file's size after bytes were appended to it (the first time: a new file). */
  updateExtent(extent: { id: string }): Promise<void>;
}

interface BlobServerInstance {
  /** Inits the stores and the GC, then listens. */
  start(): Promise<void>;
  /** Stops accepting requests, then closes the GC and every store (LokiJS saves on close). */
  close(): Promise<void>;
  getStatus(): 'Closed' | 'Starting' | 'Running' | 'Closing';
  /** Closes the GC and every store; close() calls it after the HTTP server stops. */
  afterClose(): Promise<void>;
  /** Wrapped by `stoppable`; ServerBase.close() calls stop() without waiting for it. */
  readonly httpServer: Server;
  /** Re-reads AZURITE_ACCOUNTS from process.env at start and every minute. */
  readonly accountDataStore?: { refresh(): void };
  /** Which blobs and blocks exist, and where their bytes are (extent, offset, length). */
  readonly metadataStore: LokiMetadataStore;
  /** Which extent files exist, and where. */
  readonly extentMetadataStore: ExtentMetadataStore;
}

type BlobServerClass = new (configuration: object) => BlobServerInstance;

interface BlobConstants {
  DEFAULT_BLOB_LOKI_DB_PATH: string;
  DEFAULT_BLOB_EXTENT_LOKI_DB_PATH: string;
  DEFAULT_BLOB_PERSISTENCE_PATH: string;
  DEFAULT_BLOB_KEEP_ALIVE_TIMEOUT: number;
  DEFAULT_BLOB_PERSISTENCE_ARRAY: PersistenceLocation[];
}

interface AzuriteBlobModules {
  BlobServer: BlobServerClass;
  BlobConfiguration: BlobConfigurationClass;
  constants: BlobConstants;
}

let modules: AzuriteBlobModules | undefined;

/**
 * Azurite's telemetry module requires `applicationinsights` (the Azure Monitor OpenTelemetry SDK)
 * when it loads: about 300 ms and 70 MB of RSS, for a client only Azurite's CLI entry points
 * ever start. While that module loads, `applicationinsights` resolves to an empty stub; the cache
 * entry is removed afterwards, so anything else in the process that requires it gets the real one.
 */
function loadTelemetryWithoutAppInsights(azuriteRequire: NodeJS.Require): void {
  let appInsightsPath: string;
  try {
    appInsightsPath = azuriteRequire.resolve('applicationinsights');
  } catch {
    return;
  }
  const cache = azuriteRequire.cache;
  if (cache[appInsightsPath]) return;
  const stub = new Module(appInsightsPath);
  stub.filename = appInsightsPath;
  stub.loaded = true;
  cache[appInsightsPath] = stub;
  try {
    azuriteRequire('./dist/src/common/Telemetry.js');
  } finally {
    if (cache[appInsightsPath] === stub) delete cache[appInsightsPath];
  }
}

/** Loaded on first use: requiring Azurite costs time and memory a process not using it should not pay. */
function azuriteBlobModules(): AzuriteBlobModules {
  if (modules) return modules;
  // The package has no "exports" map, so its dist files can be required by path.
  const require = createRequire(createRequire(import.meta.url).resolve('azurite/package.json'));
  loadTelemetryWithoutAppInsights(require);
  const load = <T>(path: string): T => (require(`./dist/src/blob/${path}`) as { default: T }).default;
  modules = {
    BlobServer: load<BlobServerClass>('BlobServer.js'),
    BlobConfiguration: load<BlobConfigurationClass>('BlobConfiguration.js'),
    constants: require('./dist/src/blob/utils/constants.js') as BlobConstants,
  };
  return modules;
}

/**
 * Azurite fdatasyncs the bytes it appends to an extent file, but never the folder that names a new
 * one: after a power loss the file could be gone, with the blobs in it. The first record of each
 * extent this process writes (Azurite makes it after the file's first bytes are synced) waits for
 * the folder to be synced too; extent files are up to 64 MB each, so that is rare.
 */
function syncNewExtentFiles(store: ExtentMetadataStore, folder: string): void {
  const synced = new Set<string>();
  const updateExtent = store.updateExtent.bind(store);
  store.updateExtent = async (extent) => {
    if (!synced.has(extent.id)) {
      await syncFolder(folder);
      synced.add(extent.id);
    }
    await updateExtent(extent);
  };
}

/**
 * Azurite's blob service on 127.0.0.1, in this process, persisted to `dataDir` in the same
 * layout `azurite --location dataDir` uses (so data written by the child-process Azurite is
 * read back). Loose mode, any API version, no telemetry, no access or debug log.
 */
export async function startAzuriteInProcess(options: StartAzuriteInProcessOptions): Promise<AzuriteServer> {
  const { BlobServer, BlobConfiguration, constants } = azuriteBlobModules();
  const dataDir = options.dataDir;
  await mkdir(dataDir, { recursive: true });
  const [defaultLocation] = constants.DEFAULT_BLOB_PERSISTENCE_ARRAY;
  if (!defaultLocation) throw new Error('azurite declares no default blob persistence location');

  const metadataDbPath = join(dataDir, constants.DEFAULT_BLOB_LOKI_DB_PATH);
  const extentDbPath = join(dataDir, constants.DEFAULT_BLOB_EXTENT_LOKI_DB_PATH);
  const extentFolder = join(dataDir, constants.DEFAULT_BLOB_PERSISTENCE_PATH);
  const configuration = new BlobConfiguration(
    '127.0.0.1',
    options.port ?? 0,
    constants.DEFAULT_BLOB_KEEP_ALIVE_TIMEOUT,
    metadataDbPath,
    extentDbPath,
    // A copy: Azurite's own factory mutates the shared default array.
    [{ ...defaultLocation, locationPath: extentFolder }],
    false, // access log
    undefined,
    false, // debug log
    undefined,
    true, // loose: ignore headers Azurite does not support instead of failing the request
    true, // skipApiVersionCheck: @azure/storage-blob sends API versions newer than Azurite knows
    '', // no certificate: plain HTTP
    '',
    '',
    undefined, // no OAuth
    false, // product-style URLs off: the account name is the first path segment
    false, // on disk, not in memory
  );
  const server = new BlobServer(configuration);
  // Azurite alone saves its metadata every 5 seconds: a crash would forget blobs it acknowledged.
  journalLokiStore(server.extentMetadataStore, extentDbPath);
  journalLokiStore(server.metadataStore, metadataDbPath);
  syncNewExtentFiles(server.extentMetadataStore, extentFolder);
  // Accounts from AZURITE_ACCOUNTS would replace the well-known one our connection string names;
  // the child-process Azurite drops that variable from its environment, this one ignores it.
  if (server.accountDataStore) server.accountDataStore.refresh = () => {};
  try {
    await server.start();
  } catch (err) {
    // start() inits the stores and the GC before it listens, and leaves them running when
    // listening fails (port taken): their timers would keep the process alive.
    await server.afterClose().catch(() => {});
    throw err;
  }

  const { port } = server.httpServer.address() as AddressInfo;
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    if (server.getStatus() !== 'Running') return;
    const closed = new Promise<void>((resolve) => server.httpServer.once('close', () => resolve()));
    await server.close();
    // The port is free, and every connection ended, only once the HTTP server says so.
    await closed;
  };
  return {
    ...azuriteConnection(blobEndpoint),
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}

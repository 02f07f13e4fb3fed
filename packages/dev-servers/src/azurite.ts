import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createTempDir, httpStatus, removeTempDir, startProcess } from './child-process.ts';
import { freePort } from './ports.ts';

export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
/** The well-known development key every Azurite accepts, published in Azurite's docs. */
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteConnection {
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  blobEndpoint: string;
  connectionString: string;
  accountName: typeof AZURITE_ACCOUNT_NAME;
  accountKey: string;
}

export interface AzuriteServer extends AzuriteConnection {
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  port?: number;
  /** Where blobs are persisted when inMemory is false, and where the log goes. Defaults to a temp dir that stop() removes. */
  dataDir?: string;
  /** Default true: nothing survives stop(). */
  inMemory?: boolean;
}

/** How clients reach an Azurite blob service at `blobEndpoint`, with the well-known account. */
export function azuriteConnection(blobEndpoint: string): AzuriteConnection {
  return {
    blobEndpoint,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};` +
      `AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
  };
}

function azuriteBlobBin(): string {
  const require = createRequire(import.meta.url);
  const packageJsonPath = require.resolve('azurite/package.json');
  const { bin } = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { bin?: Record<string, string> };
  const relative = bin?.['azurite-blob'];
  if (!relative) throw new Error(`${packageJsonPath} declares no azurite-blob bin`);
  return join(dirname(packageJsonPath), relative);
}

/** Azurite's blob service on 127.0.0.1, run from this package's azurite dependency. */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteServer> {
  const inMemory = options.inMemory ?? true;
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await createTempDir('uplink-azurite-'));
  await mkdir(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  const args = [
    azuriteBlobBin(),
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    // Current @azure/storage-blob releases send API versions newer than Azurite knows.
    '--skipApiVersionCheck',
    // Otherwise Azurite phones home from every test run.
    '--disableTelemetry',
    '--loose',
    // Azurite refuses --location together with --inMemoryPersistence.
    ...(inMemory ? ['--inMemoryPersistence'] : ['--location', dataDir]),
  ];
  // Accounts from the environment would replace the well-known one our connection string names.
  const { AZURITE_ACCOUNTS: _ignored, ...env } = process.env;

  const server = await startProcess({
    name: 'azurite-blob',
    command: process.execPath,
    args,
    // Azurite writes its default workspace files to the working directory.
    cwd: dataDir,
    env,
    logFile: join(dataDir, 'azurite.log'),
    // Any HTTP answer (an unauthenticated request gets 403) means the blob service is up.
    ready: async () => (await httpStatus(`${blobEndpoint}?comp=list`)) !== undefined,
  });

  return {
    ...azuriteConnection(blobEndpoint),
    stop: async () => {
      await server.stop();
      if (ownDataDir) await removeTempDir(dataDir);
    },
  };
}

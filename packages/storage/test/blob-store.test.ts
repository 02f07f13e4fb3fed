// The AzureBlobStore conformance suite against each blob store Uplink runs on: the run's shared
// Azurite (a child process), Azurite inside this process (what `npm start` runs), and real Azure
// when UPLINK_CONFORMANCE_AZURE_CONNECTION_STRING names an account to test against.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AzuriteServer, startAzuriteInProcess } from '@uplink/dev-servers';
import { inject } from 'vitest';
import { type BlobStoreConnection, describeBlobStore } from './conformance.ts';

const connectionOf = (azurite: Pick<AzuriteServer, 'connectionString'>): BlobStoreConnection => ({
  AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
  AZURE_STORAGE_USE_IDENTITY: false,
});

describeBlobStore(
  'the shared Azurite (child process)',
  async () => ({ connection: connectionOf(inject('azurite')), close: async () => {} }),
  { sharedService: true },
);

describeBlobStore(
  'Azurite in process',
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'uplink-conformance-azurite-'));
    let azurite = await startAzuriteInProcess({ dataDir });
    return {
      connection: connectionOf(azurite),
      async restart() {
        // The same port, so URLs issued before the restart still point at it.
        const port = Number(new URL(azurite.blobEndpoint).port);
        await azurite.stop();
        azurite = await startAzuriteInProcess({ dataDir, port });
        return connectionOf(azurite);
      },
      async close() {
        await azurite.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
  { restartable: true },
);

const azureConnectionString = process.env.UPLINK_CONFORMANCE_AZURE_CONNECTION_STRING;
describeBlobStore(
  azureConnectionString
    ? 'Azure'
    : 'Azure (skipped: set UPLINK_CONFORMANCE_AZURE_CONNECTION_STRING to an account key connection string)',
  async () => ({
    connection: {
      AZURE_STORAGE_CONNECTION_STRING: azureConnectionString ?? '',
      AZURE_STORAGE_USE_IDENTITY: false,
    },
    close: async () => {},
  }),
  { skip: !azureConnectionString },
);

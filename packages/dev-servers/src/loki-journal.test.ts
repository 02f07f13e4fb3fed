// Azurite in process after a crash: a copy of its data folder taken while it runs is what a
// `kill -9` at that moment leaves on disk. Azurite's own LokiJS save runs every 5 seconds; the
// copy is taken well before it, so only the journal can bring the blobs back.
import { cp, readdir } from 'node:fs/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteServer } from './azurite.ts';
import { startAzuriteInProcess } from './azurite-in-process.ts';
import { createTempDir, removeTempDir } from './child-process.ts';

const folders: string[] = [];
const servers: AzuriteServer[] = [];

async function started(dataDir: string): Promise<BlobServiceClient> {
  const azurite = await startAzuriteInProcess({ dataDir });
  servers.push(azurite);
  return BlobServiceClient.fromConnectionString(azurite.connectionString);
}

let dataDir: string;
beforeAll(async () => {
  dataDir = await createTempDir('uplink-loki-journal-');
  folders.push(dataDir);
});

afterAll(async () => {
  for (const server of servers) await server.stop();
  for (const folder of folders) await removeTempDir(folder);
});

describe('Azurite in process, its data folder as a crash leaves it', () => {
  it('has every blob it acknowledged, and none it deleted', async () => {
    const container = (await started(dataDir)).getContainerClient('journal');
    await container.create();
    const bytes = (i: number) => new TextEncoder().encode(`blob ${i} `.repeat(i + 1));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        container.getBlockBlobClient(`b${i}`).upload(bytes(i), bytes(i).length),
      ),
    );
    await container.getBlockBlobClient('b3').delete();
    expect((await readdir(dataDir)).some((name) => name.includes('.journal-'))).toBe(true);

    const crashed = await createTempDir('uplink-loki-journal-crashed-');
    folders.push(crashed);
    await cp(dataDir, crashed, { recursive: true });

    const after = (await started(crashed)).getContainerClient('journal');
    const names: string[] = [];
    for await (const blob of after.listBlobsFlat()) names.push(blob.name);
    expect(names.sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `b${i}`)
        .filter((name) => name !== 'b3')
        .sort(),
    );
    for (const i of [0, 7, 19]) {
      const read = await after.getBlockBlobClient(`b${i}`).downloadToBuffer();
      expect(new Uint8Array(read)).toEqual(bytes(i));
    }
    // Writing goes on after the replay (its sorted indices were rebuilt), and a second crash keeps it too.
    await after.getBlockBlobClient('b20').upload(bytes(20), bytes(20).length);
    const crashedAgain = await createTempDir('uplink-loki-journal-crashed-again-');
    folders.push(crashedAgain);
    await cp(crashed, crashedAgain, { recursive: true });
    const again = (await started(crashedAgain)).getContainerClient('journal');
    expect(new Uint8Array(await again.getBlockBlobClient('b20').downloadToBuffer())).toEqual(bytes(20));
    expect(await again.getBlockBlobClient('b3').exists()).toBe(false);
  });
});

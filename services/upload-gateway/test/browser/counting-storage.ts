// Blob storage as the page sees it in the resume tests (Chromium's and Firefox's) and the
// whole-file test: a proxy on loopback in front of the run's Azurite. It holds each Put Block a
// moment (a slower link than loopback, unless told otherwise), counts the blocks storage stored
// (201) by id, whoever was still waiting for the answer, and cuts Put Blocks off while the tab is
// closing, so what storage holds is exactly what was counted; told to, it never reads a Put Blob
// (a link that stalls under a whole file). With the checks the tests make of it.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeWhenDone } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { expect, inject } from 'vitest';
import { type Block, blockOfId } from '../../client/src/blocks.ts';

export type CountingStorage = {
  /** The run's Azurite connection string with the proxy as its blob endpoint (SAS URLs point here). */
  connectionString: string;
  /** Times storage stored each block id. */
  stored: Map<string, number>;
  /** Bytes of the blocks storage stored, by the offsets and lengths their ids name. */
  storedBytes(): number;
  /** From now on Put Blocks are cut off (the connection reset) before they reach storage. */
  cutOff(): void;
  /** Put Blocks reach storage again. */
  resume(): void;
  /** Resolves once no Put Block is on its way to storage. */
  settled(): Promise<void>;
  /** Put Blob requests that arrived, whatever became of them. */
  putBlobs(): number;
};

const HELD_MS = 150;

/**
 * The proxy, closed when the test or file that started it is done. `heldMs`: how long each Put
 * Block waits before it goes on; `stallPutBlob`: Put Blob requests are never read (the browser's
 * bytes pile up unsent until it gives up).
 */
export async function countingStorage(
  options: { heldMs?: number; stallPutBlob?: boolean } = {},
): Promise<CountingStorage> {
  const heldMs = options.heldMs ?? HELD_MS;
  let putBlobs = 0;
  const azurite = inject('azurite');
  const upstream = new URL(azurite.blobEndpoint);
  const stored = new Map<string, number>();
  const underway = new Set<Promise<void>>();
  let cutting = false;

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse, blockId: string | null) =>
    new Promise<void>((resolve) => {
      const onward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host },
        },
        (answer) => {
          if (blockId && answer.statusCode === 201) stored.set(blockId, (stored.get(blockId) ?? 0) + 1);
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
          answer.on('end', resolve);
          answer.on('error', () => resolve());
        },
      );
      onward.on('error', () => {
        outgoing.destroy();
        resolve();
      });
      // A browser that gives up (the tab closed) takes its request with it, unless storage has
      // all of it already: then storage stores it, and it is counted above.
      incoming.on('close', () => {
        if (!incoming.complete) onward.destroy();
      });
      incoming.pipe(onward);
    });

  const server = createServer((incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://proxy');
    const putBlock = incoming.method === 'PUT' && url.searchParams.get('comp') === 'block';
    // Not a copy (Copy Blob From URL, the gateway's, is a PUT without comp too).
    const putBlob =
      incoming.method === 'PUT' &&
      !url.searchParams.has('comp') &&
      incoming.headers['x-ms-blob-type'] !== undefined &&
      incoming.headers['x-ms-copy-source'] === undefined;
    if (putBlob) putBlobs++;
    if (putBlob && options.stallPutBlob) {
      incoming.pause();
      return;
    }
    if (!putBlock) {
      void forward(incoming, outgoing, null);
      return;
    }
    incoming.pause();
    const handled = (async () => {
      await new Promise((resolve) => setTimeout(resolve, heldMs));
      if (cutting) {
        incoming.socket.destroy();
        return;
      }
      await forward(incoming, outgoing, url.searchParams.get('blockid'));
    })();
    underway.add(handled);
    void handled.finally(() => underway.delete(handled));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeWhenDone(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;

  return {
    connectionString: azurite.connectionString.replace(
      /BlobEndpoint=[^;]+/,
      `BlobEndpoint=http://127.0.0.1:${port}${upstream.pathname}`,
    ),
    stored,
    storedBytes: () => {
      let bytes = 0;
      for (const id of stored.keys()) bytes += blockOfId(id)?.length ?? 0;
      return bytes;
    },
    cutOff: () => {
      cutting = true;
    },
    resume: () => {
      cutting = false;
    },
    settled: async () => {
      while (underway.size > 0) await Promise.allSettled([...underway]);
    },
    putBlobs: () => putBlobs,
  };
}

/**
 * A gateway whose storage is reached through `storage` (so SAS URLs point at the proxy). Such a
 * gateway does not configure storage's CORS rule: done here, for its page's origin.
 */
export async function gatewayBehind(
  storage: CountingStorage,
  options: Omit<Parameters<typeof uploadGatewayHarness>[0], 'gatewayStorageConnectionString'> = {},
): Promise<UploadGatewayHarness> {
  const gateway = await uploadGatewayHarness({
    ...options,
    gatewayStorageConnectionString: storage.connectionString,
  });
  await gateway.storage.configure(new URL(gateway.baseUrl).origin);
  return gateway;
}

/**
 * The tab closes: the Put Blocks on their way are cut off (or reached storage before), then
 * `close` closes it. Resolves to the bytes storage holds for the file then.
 */
export async function closeTab(storage: CountingStorage, close: () => Promise<void>): Promise<number> {
  storage.cutOff();
  await storage.settled();
  await close();
  storage.resume();
  return storage.storedBytes();
}

/**
 * Storage received each block once, and the blocks cover the file's `size` bytes without
 * overlapping: nothing stored before the tab closed was sent again.
 */
export function expectEachBlockStoredOnce(storage: CountingStorage, size: number): void {
  expect([...storage.stored.values()].every((times) => times === 1)).toBe(true);
  const blocks = [...storage.stored.keys()]
    .map(blockOfId)
    .filter((block): block is Block => block !== undefined)
    .sort((a, b) => a.offset - b.offset);
  expect(blocks.length).toBe(storage.stored.size);
  const ranges = blocks.map((block) => `${block.offset}+${block.length}`).join(' ');
  let end = 0;
  for (const block of blocks) {
    expect(block.offset, ranges).toBe(end);
    end = block.offset + block.length;
  }
  expect(end).toBe(size);
}

/**
 * The progress bar of the reopened page started where the closed one had got to and only went
 * forward. `progress`: the values a probe saw it take; a probe reads the bar when it sees it
 * change, so the first may be a little further on.
 */
export function expectProgressFrom(progress: number[], storedBeforeReopen: number): void {
  const moved = progress.filter((value) => value > 0);
  expect(moved[0]).toBeGreaterThanOrEqual(storedBeforeReopen);
  expect(moved.every((value, i) => i === 0 || value >= (moved[i - 1] ?? 0))).toBe(true);
}

/** An expression: how many uploads the page keeps in IndexedDB (saved-uploads.ts). */
export const SAVED_UPLOAD_COUNT = `new Promise((resolve, reject) => {
  const request = indexedDB.open('uplink-uploads');
  request.onerror = () => reject(request.error);
  request.onsuccess = () => {
    const count = request.result.transaction('uploads').objectStore('uploads').count();
    count.onsuccess = () => resolve(count.result);
    count.onerror = () => reject(count.error);
  };
})`;

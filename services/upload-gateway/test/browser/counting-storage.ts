// Blob storage as the page sees it in the resume tests: a proxy on loopback in front of the run's
// Azurite. It holds each Put Block a moment (a slower link than loopback), counts the blocks
// storage stored (201) by id, whoever was still waiting for the answer, and cuts Put Blocks off
// while the tab is closing, so what storage holds is exactly what was counted.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeWhenDone } from '@uplink/testing';
import { inject } from 'vitest';
import { blockOfId } from '../../client/src/blocks.ts';

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
};

const HELD_MS = 150;

/** The proxy, closed when the test or file that started it is done. */
export async function countingStorage(): Promise<CountingStorage> {
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
    if (!putBlock) {
      void forward(incoming, outgoing, null);
      return;
    }
    incoming.pause();
    const handled = (async () => {
      await new Promise((resolve) => setTimeout(resolve, HELD_MS));
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
  };
}

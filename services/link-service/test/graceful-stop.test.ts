// A graceful stop publishes every event of what it accepted: requests served while the service
// drains and while its HTTP server closes get their event into the stream before the event bus
// closes, with no other replica and no restart to sweep it up later.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subjects } from '@uplink/contracts';
import { type EventBus, SqliteEventBus } from '@uplink/event-bus';
import { gracefulShutdown, prepareService, startWorkers, systemClock } from '@uplink/kit';
import { preparedStore, SqliteStore, type Store } from '@uplink/store';
import { connectMongo, MongoStore } from '@uplink/store/mongo';
import { captureLogger, mongoTestOptions, requestInTwoParts, startServerInfra } from '@uplink/testing';
import { API_KEY, SECRET_KEYS } from '@uplink/testing/link-service';
import { describe, expect, inject, it } from 'vitest';
import { buildLinkService } from '../src/app.ts';

/** What the service runs on, and fresh handles to look at it after the stop closed those. */
type Infrastructure = {
  store: Store;
  bus: EventBus;
  reopen(): Promise<{ store: Store; bus: EventBus }>;
  close(): Promise<void>;
};

const infrastructures: Record<string, () => Promise<Infrastructure>> = {
  'SQLite session store and SQLite event bus': async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uplink-graceful-stop-'));
    const open = async () => {
      const bus = SqliteEventBus.open(join(dir, 'events.sqlite'));
      await bus.ensureStreams();
      return { store: await preparedStore(new SqliteStore(join(dir, 'sessions.sqlite'))), bus };
    };
    const opened: Array<{ store: Store; bus: EventBus }> = [await open()];
    const [first] = opened as [{ store: Store; bus: EventBus }];
    return {
      ...first,
      reopen: async () => {
        const again = await open();
        opened.push(again);
        return again;
      },
      close: async () => {
        for (const { store, bus } of opened) await Promise.allSettled([bus.close(), store.close()]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  'MongoDB-wire session store and NATS JetStream': async () => {
    const infra = await startServerInfra();
    // The service gets its own connections: the stop closes them, the test's stay open.
    const mongo = await connectMongo(
      inject('mongoUri'),
      infra.mongo.db.databaseName,
      'link-service',
      mongoTestOptions(),
    );
    const store = await preparedStore(new MongoStore(mongo));
    const bus = await infra.connectBus('link-service');
    return {
      store,
      bus,
      reopen: async () => ({
        store: new MongoStore(infra.mongo),
        bus: await infra.connectBus('reader'),
      }),
      close: () => infra.close(),
    };
  },
};

async function linkCreatedIds(bus: EventBus, fromSeq: number, toSeq: number): Promise<string[]> {
  const ids: string[] = [];
  for await (const message of bus.read(fromSeq, toSeq, Subjects.linkCreated)) {
    ids.push((message.json() as { linkId: string }).linkId);
  }
  return ids;
}

describe.each(Object.keys(infrastructures))('graceful stop on %s', (name) => {
  it('publishes the events of links created while draining and while HTTP closes', async () => {
    const infrastructure = await (infrastructures[name] as () => Promise<Infrastructure>)();
    try {
      const { store, bus } = infrastructure;
      const { logger } = captureLogger('link-service');
      const service = await buildLinkService({
        config: {
          PUBLIC_UPLOAD_BASE_URL: 'https://uploads.example.com/u/',
          UPLINK_BOOTSTRAP_API_KEY: API_KEY,
          UPLINK_SECRET_KEYS: SECRET_KEYS,
        },
        logger,
        store,
        bus,
        clock: systemClock,
        // No sweep during the test: only the stop itself may publish what is left.
        outbox: { sweepIntervalMs: 3_600_000, staleAfterMs: 3_600_000 },
      });
      await prepareService(service);
      await service.app.listen({ host: '127.0.0.1', port: 0 });
      await startWorkers(service);
      const port = (service.app.server.address() as { port: number }).port;
      const before = (await bus.streamInfo()).lastSeq;
      const createBody = (id: string) => JSON.stringify({ ticket: { provider: 'freshdesk', id } });
      const headers = { authorization: `Bearer ${API_KEY}` };

      const stop = gracefulShutdown({
        logger,
        services: [service],
        budgetMs: 10_000,
        drainDelayMs: 1_000,
        thenClose: [
          { name: 'close event bus', run: () => bus.close() },
          { name: 'close session store', run: () => store.close() },
        ],
      });
      const stopped = stop('test');

      // While draining: not ready, but serving. One request arrives and waits for the rest of
      // its body, so that it is still in flight when the HTTP server begins to close.
      const received = new Promise((resolve) => service.app.server.once('request', resolve));
      const inFlight = requestInTwoParts(port, '/v1/links', headers, createBody('during-close'));
      await received;
      expect(service.app.server.listening).toBe(true);
      const duringDrain = await fetch(`http://127.0.0.1:${port}/v1/links`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: createBody('during-drain'),
      });
      expect(duringDrain.status).toBe(201);
      const drainLinkId = ((await duringDrain.json()) as { id: string }).id;

      const closing = Date.now();
      while (service.app.server.listening) {
        if (Date.now() - closing > 10_000) throw new Error('the HTTP server never began to close');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const duringClose = await inFlight.finish();
      expect(await Promise.race([stopped.then(() => 'stopped'), 'stopping'])).toBe('stopping');
      expect(duringClose.status).toBe(201);
      const closeLinkId = (duringClose.body as { id: string }).id;

      await stopped;

      const after = await infrastructure.reopen();
      const { lastSeq } = await after.bus.streamInfo();
      expect(lastSeq).toBe(before + 2);
      expect((await linkCreatedIds(after.bus, before + 1, lastSeq)).sort()).toEqual(
        [drainLinkId, closeLinkId].sort(),
      );
      expect(await after.store.links.outbox.entries(drainLinkId)).toEqual([]);
      expect(await after.store.links.outbox.entries(closeLinkId)).toEqual([]);
    } finally {
      await infrastructure.close();
    }
  });
});

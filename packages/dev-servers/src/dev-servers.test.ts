import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MongoClient } from 'mongodb';
import type { ProvidedContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { needsFerretDb } from './binaries.ts';
import { createTempDir, removeTempDir } from './child-process.ts';
import {
  canConnect,
  ensureBinaries,
  ensurePostgres,
  freePort,
  mongoPings,
  startAzurite,
  startMongo,
  startNats,
  startProcess,
} from './index.ts';
import setup from './vitest-global-setup.ts';

// Normally done by the test script before vitest starts; here it keeps this file runnable alone.
beforeAll(async () => {
  await ensureBinaries();
}, 15 * 60_000);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('freePort', () => {
  it('returns a port nothing listens on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await canConnect(port)).toBe(false);
  });
});

describe('startProcess', () => {
  it('reports an early exit with the tail of the log', async () => {
    const dir = await createTempDir('uplink-startprocess-');
    const start = startProcess({
      name: 'doomed',
      command: process.execPath,
      args: ['-e', 'console.error("line one\\nno config found"); process.exit(3)'],
      logFile: `${dir}/doomed.log`,
      ready: async () => false,
    });
    await expect(start).rejects.toThrow(
      /doomed exited with code 3 before it was ready[\s\S]*no config found/,
    );
  });

  it('kills a server that is not ready in time', async () => {
    const dir = await createTempDir('uplink-startprocess-');
    const logFile = `${dir}/slow.log`;
    const start = startProcess({
      name: 'slow',
      command: process.execPath,
      args: ['-e', 'console.log("pid", process.pid); setInterval(() => {}, 1000)'],
      logFile,
      ready: async () => false,
      readyTimeoutMs: 500,
    });
    await expect(start).rejects.toThrow(/slow was not ready within 0.5 s[\s\S]*pid \d+/);
    const pid = Number(/pid (\d+)/.exec(await readFile(logFile, 'utf8'))?.[1]);
    expect(isAlive(pid)).toBe(false);
  });
});

describe('startNats', () => {
  it('keeps JetStream streams and messages across stop() and start() on the same port', async () => {
    const nats = await startNats();
    const nc = await connect({
      servers: nats.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'DEV_SERVERS', subjects: ['dev-servers.>'], storage: StorageType.File });
      await jetstream(nc).publish('dev-servers.hello', 'persisted');

      // nats.js 3.4 loses requests made while it is disconnected (they time out even after it
      // reconnects), so the test waits for the reconnect before asking anything.
      const statuses = nc.status();
      const reconnected = (async () => {
        for await (const status of statuses) if (status.type === 'reconnect') return;
      })();
      await nats.stop();
      expect(await canConnect(nats.port)).toBe(false);
      await nats.start();
      await reconnected;

      // The same client got back to the same port, and the stream came back from disk.
      const info = await jsm.streams.info('DEV_SERVERS');
      expect(info.state.messages).toBe(1);
      const message = await jsm.streams.getMessage('DEV_SERVERS', { seq: 1 });
      expect(message?.string()).toBe('persisted');
    } finally {
      await nc.close();
      await nats.stop();
    }
    expect(await canConnect(nats.port)).toBe(false);
  }, 30_000);
});

describe('startMongo', () => {
  it('starts a server that stores and finds documents', async () => {
    const mongo = await startMongo();
    const client = new MongoClient(mongo.uri);
    try {
      const things = client.db('dev_servers_test').collection<{ name: string; size: number }>('things');
      await things.insertOne({ name: 'first', size: 1 });
      await things.insertMany([
        { name: 'second', size: 2 },
        { name: 'third', size: 3 },
      ]);
      const found = await things
        .find({ size: { $gte: 2 } }, { projection: { _id: 0 } })
        .sort({ size: 1 })
        .toArray();
      expect(found).toEqual([
        { name: 'second', size: 2 },
        { name: 'third', size: 3 },
      ]);
    } finally {
      await client.close();
      await mongo.stop();
    }
    if (mongo.kind !== 'external') expect(await canConnect(Number(new URL(mongo.uri).port))).toBe(false);
  }, 60_000);
});

describe('startMongo on PostgreSQL', () => {
  const usesFerretDb = needsFerretDb();
  // Installing PostgreSQL (as root, when missing) takes seconds: not inside the test's timeout.
  beforeAll(async () => {
    if (await usesFerretDb) await ensurePostgres();
  }, 5 * 60_000);

  /** Command lines of processes still running on `dir`, as pgrep sees them. */
  function processesOn(dir: string): string {
    const result = spawnSync('pgrep', ['-a', '-f', dir], { encoding: 'utf8' });
    if (result.error) throw result.error;
    return result.stdout.trim();
  }

  it('finds and updates by _id through an index, keeps data across restarts, and stops cleanly', async (context) => {
    if (!(await usesFerretDb)) context.skip(); // MONGODB_URI or mongod: no FerretDB backend to pick.
    const dataDir = await createTempDir('uplink-ferretdb-pg-test-');
    type Thing = { _id: string; size: number; tags?: string[] };
    const ids = Array.from({ length: 2_000 }, (_, i) => `thing-${i}`);
    try {
      const mongo = await startMongo({ backend: 'postgresql', dataDir });
      expect(mongo).toMatchObject({ kind: 'ferretdb', backend: 'postgresql' });
      expect(mongo.postgresUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/ferretdb$/);
      const postgresPort = Number(new URL(mongo.postgresUrl ?? '').port);
      const client = new MongoClient(mongo.uri);
      try {
        const things = client.db('dev_servers_pg').collection<Thing>('things');
        await things.insertOne({ _id: 'first', size: 1 });
        await things.insertMany(ids.map((_id, size) => ({ _id, size })));
        expect(await things.findOne({ _id: 'first' })).toEqual({ _id: 'first', size: 1 });
        expect(await things.findOne({ _id: 'thing-1234' })).toEqual({ _id: 'thing-1234', size: 1234 });
        const updated = await things.updateOne(
          { _id: 'thing-7' },
          { $inc: { size: 100 }, $set: { tags: ['pg'] } },
        );
        expect(updated).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
        expect(await things.findOne({ _id: 'thing-7' })).toEqual({ _id: 'thing-7', size: 107, tags: ['pg'] });
        expect(await things.findOne({ _id: 'missing' })).toBeNull();
        await expect(things.insertOne({ _id: 'first', size: 2 })).rejects.toThrow(/duplicate key/i);

        // FerretDB looks _id up with `_jsonb->'_id' @> $value`, which only the GIN twin of its
        // btree _id index can serve (see FERRETDB_POSTGRES_SETUP in mongo.ts).
        const explained = await client
          .db('dev_servers_pg')
          .command({ explain: { find: 'things', filter: { _id: 'thing-1234' } } });
        expect(JSON.stringify(explained.queryPlanner)).toMatch(/"Index Name":"[^"]*_gin"/);

        // What the checks after stop() must no longer see.
        expect(processesOn(dataDir)).toMatch(/postgres[\s\S]*ferretdb|ferretdb[\s\S]*postgres/);
      } finally {
        await client.close();
        await mongo.stop();
      }
      expect(await canConnect(Number(new URL(mongo.uri).port))).toBe(false);
      expect(await canConnect(postgresPort)).toBe(false);
      expect(processesOn(dataDir)).toBe('');

      // A second start reuses the cluster in dataDir (no initdb, createdb finds ferretdb).
      const again = await startMongo({ backend: 'postgresql', dataDir });
      const client2 = new MongoClient(again.uri);
      try {
        const things = client2.db('dev_servers_pg').collection<Thing>('things');
        expect(await things.findOne({ _id: 'thing-7' })).toEqual({ _id: 'thing-7', size: 107, tags: ['pg'] });
        expect(await things.countDocuments()).toBe(ids.length + 1);
      } finally {
        await client2.close();
        await again.stop();
      }
      expect(processesOn(dataDir)).toBe('');
    } finally {
      await removeTempDir(dataDir);
    }
  }, 60_000);
});

describe('startAzurite', () => {
  it('accepts the dev account key for containers and blobs', async () => {
    const azurite = await startAzurite();
    try {
      const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
      const container = service.getContainerClient('dev-servers');
      await container.create();
      const body = 'hello from the dev servers test';
      await container.getBlockBlobClient('greeting.txt').upload(body, Buffer.byteLength(body));
      const downloaded = await container.getBlobClient('greeting.txt').downloadToBuffer();
      expect(downloaded.toString('utf8')).toBe(body);

      // A request without credentials answers, but is refused: the key above really is checked.
      const anonymous = await fetch(`${azurite.blobEndpoint}?comp=list`);
      expect(anonymous.status).toBe(403);
    } finally {
      await azurite.stop();
    }
  }, 30_000);
});

describe('vitest global setup', () => {
  it('provides a pinging mongoUri and a working Azurite, and its teardown stops both', async () => {
    const provided: Partial<ProvidedContext> = {};
    const teardown = await setup({
      provide: <T extends keyof ProvidedContext & string>(key: T, value: ProvidedContext[T]) => {
        provided[key] = value;
      },
    });
    const { mongoUri, azurite } = provided;
    if (!mongoUri || !azurite) {
      await teardown();
      throw new Error(`setup provided ${JSON.stringify(provided)}`);
    }
    try {
      expect(await mongoPings(mongoUri)).toBe(true);
      expect(azurite.accountName).toBe('devstoreaccount1');
      const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
      await service.getContainerClient('from-global-setup').create();
      const names: string[] = [];
      for await (const container of service.listContainers()) names.push(container.name);
      expect(names).toContain('from-global-setup');
    } finally {
      await teardown();
    }
    const port = Number(new URL(azurite.blobEndpoint).port);
    expect(await canConnect(port)).toBe(false);
  }, 60_000);
});

describe('freePort, called together', () => {
  it('never hands out the same port twice, even when called together', async () => {
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    expect(new Set(ports).size).toBe(50);
  });
});

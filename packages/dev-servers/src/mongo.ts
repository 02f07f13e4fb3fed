import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ensureFerretDb, findOnPath } from './binaries.ts';
import { canConnect, createTempDir, removeTempDir, startProcess } from './child-process.ts';
import { freePort } from './ports.ts';

export interface MongoServer {
  /** mongodb://127.0.0.1:<port>/ (or MONGODB_URI as given) */
  uri: string;
  kind: 'external' | 'mongod' | 'ferretdb';
  stop(): Promise<void>;
}

export interface StartMongoOptions {
  port?: number;
  /** Defaults to a fresh temp dir that stop() removes. */
  dataDir?: string;
}

/** Resolves true when a driver can reach the server and `ping` succeeds. */
export async function mongoPings(uri: string, timeoutMs = 1_000): Promise<boolean> {
  return (await pingError(uri, timeoutMs)) === undefined;
}

async function pingError(uri: string, timeoutMs: number): Promise<string | undefined> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.close(true).catch(() => undefined);
  }
}

function withoutPassword(uri: string): string {
  return uri.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

/**
 * A MongoDB-wire server: MONGODB_URI when set (kind 'external', never stopped by us), else a
 * mongod from PATH, else FerretDB on SQLite (which lacks TTL indexes, change streams and
 * transactions: code under test must not depend on them).
 */
export async function startMongo(options: StartMongoOptions = {}): Promise<MongoServer> {
  const external = process.env.MONGODB_URI;
  if (external) {
    const error = await pingError(external, 10_000);
    if (error !== undefined) {
      throw new Error(
        `MONGODB_URI is set to ${withoutPassword(external)}, but a ping to it failed: ${error}\n` +
          'Start that server, or unset MONGODB_URI to get a local mongod or FerretDB.',
      );
    }
    return { uri: external, kind: 'external', stop: async () => undefined };
  }

  const mongod = await findOnPath('mongod');
  const kind = mongod ? 'mongod' : 'ferretdb';
  const binary = mongod ?? (await ensureFerretDb());
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await createTempDir(`uplink-${kind}-`));
  await mkdir(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const uri = `mongodb://127.0.0.1:${port}/`;
  const args = mongod
    ? ['--bind_ip', '127.0.0.1', '--port', String(port), '--dbpath', dataDir]
    : [
        '--handler=sqlite',
        `--sqlite-url=file:${dataDir}/`,
        `--listen-addr=127.0.0.1:${port}`,
        '--telemetry=disable',
        '--debug-addr=-',
        `--state-dir=${dataDir}`,
        '--log-level=warn',
      ];

  // On failure the data dir (with the server's log) stays until this process exits.
  const server = await startProcess({
    name: kind,
    command: binary,
    args,
    logFile: join(dataDir, `${kind}.log`),
    // The port opening first keeps us from building a driver client on every poll.
    ready: async () => (await canConnect(port)) && (await mongoPings(uri)),
    readyTimeoutMs: 60_000,
  });
  return {
    uri,
    kind,
    stop: async () => {
      await server.stop();
      if (ownDataDir) await removeTempDir(dataDir);
    },
  };
}

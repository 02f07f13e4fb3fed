import { existsSync } from 'node:fs';
import { lchown, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePostgres, lastLines, run } from './binaries.ts';
import { canConnect, createTempDir, removeTempDir, startProcess } from './child-process.ts';
import { freePort } from './ports.ts';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/<database>: superuser `postgres`, no password (trust). */
  url: string;
  port: number;
  /** Holds the cluster (`pg/`) and the server's log (`postgres.log`). */
  dataDir: string;
  /** Fast shutdown (SIGINT: clients are disconnected), then removes the data dir if it was ours. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  port?: number;
  /**
   * The cluster goes to <dataDir>/pg; when it already holds one (pg/PG_VERSION exists) it is
   * reused, so data survives across runs. Defaults to a fresh temp dir that stop() removes.
   */
  dataDir?: string;
  /** Created when missing; default 'postgres' (always there). The url points at it. */
  database?: string;
  /**
   * Run with psql in `database` once it exists, on every start (so it must be idempotent), before
   * startPostgres() resolves. A failure stops the server and rejects.
   */
  setupSql?: string;
}

// sun_path is 108 bytes on Linux, with its terminating NUL.
const MAX_SOCKET_PATH = 107;

/** PostgreSQL's client programs honour PG* variables (PGSSLMODE, PGPASSWORD...): none of ours should. */
function envWithoutPg(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
}

/** uid and gid of the `postgres` OS user, which the Debian package creates. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  if (uid.code !== 0 || gid.code !== 0) {
    throw new Error(
      `PostgreSQL refuses to run as root, and there is no 'postgres' OS user to run it as ` +
        `('id -u postgres': ${uid.output.trim()}). Installing the postgresql package creates it; ` +
        `or run as a non-root user.`,
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function chownRecursive(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  for (const entry of await readdir(dir, { recursive: true })) await lchown(join(dir, entry), uid, gid);
}

/**
 * A throw-away PostgreSQL server on 127.0.0.1 tuned for tests, not durability (fsync, synchronous
 * commit and full-page writes off). Installs PostgreSQL first when needed (see ensurePostgres()).
 * As root the server runs as the `postgres` OS user (PostgreSQL refuses root) and the data dir is
 * chowned to it, so every parent directory of dataDir must be searchable by that user.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binaries = await ensurePostgres();
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await createTempDir('uplink-postgres-'));
  await mkdir(dataDir, { recursive: true });
  const clusterDir = join(dataDir, 'pg');
  const logFile = join(dataDir, 'postgres.log');
  const database = options.database ?? 'postgres';

  const asUser = process.getuid?.() === 0 ? await postgresUser() : undefined;
  if (asUser) await chownRecursive(dataDir, asUser.uid, asUser.gid);
  const env = envWithoutPg();
  // The postgres user may not be allowed into our working directory; initdb complains then.
  const spawnAs = { cwd: dataDir, env, ...asUser };

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    // --no-locale: the caller's LANG may name a locale this machine lacks, which makes initdb fail.
    const initdbArgs = [
      '-D',
      clusterDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '--no-locale',
      '-E',
      'UTF8',
    ];
    const result = await run(binaries.initdb, initdbArgs, { ...spawnAs, timeoutMs: 60_000 });
    if (result.code !== 0) {
      const reach = asUser
        ? ` The postgres OS user must be able to enter every parent directory of ${dataDir}.`
        : '';
      throw new Error(
        `initdb ${initdbArgs.join(' ')} failed (exit ${result.code}):\n${lastLines(result.output, 20)}${reach}`,
      );
    }
  }

  const port = options.port ?? (await freePort());
  // Nothing here uses the Unix socket, but without -k PostgreSQL puts it in /var/run/postgresql,
  // which may be missing or not writable. A socket path too long for sun_path would make it fail
  // to start, so then it gets no socket at all ('').
  const socketDir = `${clusterDir}/.s.PGSQL.${port}`.length <= MAX_SOCKET_PATH ? clusterDir : '';
  // -U: without it pg_isready logs in as the OS user, and the server logs 'role "root" does not exist'.
  const isReadyArgs = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-t', '1'];
  const server = await startProcess({
    name: 'postgres',
    command: binaries.postgres,
    args: [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-k',
      socketDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    logFile,
    ...spawnAs,
    // SIGTERM is a "smart" shutdown that waits for every client to disconnect.
    stopSignal: 'SIGINT',
    ready: async () =>
      (await canConnect(port)) &&
      (await run(binaries.pgIsReady, isReadyArgs, { env, timeoutMs: 5_000 })).code === 0,
    readyTimeoutMs: 60_000,
  });

  const stop = async (): Promise<void> => {
    await server.stop();
    if (ownDataDir) await removeTempDir(dataDir);
  };

  if (database !== 'postgres') {
    const args = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-w', database];
    const result = await run(binaries.createdb, args, { env, timeoutMs: 30_000 });
    // A reused data dir already has it.
    if (result.code !== 0 && !/already exists/.test(result.output)) {
      await server.stop();
      throw new Error(
        `createdb ${args.join(' ')} failed (exit ${result.code}):\n${lastLines(result.output, 20)}`,
      );
    }
  }

  if (options.setupSql !== undefined) {
    const args = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-X', '-q', '-w'];
    const result = await run(binaries.psql, [...args, '-v', 'ON_ERROR_STOP=1', '-c', options.setupSql], {
      env,
      timeoutMs: 60_000,
    });
    if (result.code !== 0) {
      await server.stop();
      throw new Error(
        `setup SQL in database ${database} failed (exit ${result.code}):\n${lastLines(result.output, 20)}`,
      );
    }
  }

  return { url: `postgres://postgres@127.0.0.1:${port}/${database}`, port, dataDir, stop };
}

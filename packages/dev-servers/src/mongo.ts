import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ensureFerretDb, type FerretDbBackend, ferretDbBackendFromEnv, findOnPath } from './binaries.ts';
import { canConnect, createTempDir, removeTempDir, startProcess } from './child-process.ts';
import { freePort } from './ports.ts';
import { type PostgresServer, startPostgres } from './postgres.ts';

export interface MongoServer {
  /** mongodb://127.0.0.1:<port>/ (or MONGODB_URI as given) */
  uri: string;
  kind: 'external' | 'mongod' | 'ferretdb';
  /** FerretDB's storage; only set when kind is 'ferretdb'. */
  backend?: FerretDbBackend;
  /**
   * The PostgreSQL database FerretDB stores into (backend 'postgresql' only), e.g. for EXPLAIN:
   * each Mongo database is a schema there, each collection a table with a `_jsonb` column.
   */
  postgresUrl?: string;
  /** Stops FerretDB before its PostgreSQL. */
  stop(): Promise<void>;
}

export interface StartMongoOptions {
  port?: number;
  /**
   * Defaults to a fresh temp dir that stop() removes. A given dir is kept and reused by the next
   * start: FerretDB's SQLite files, or the PostgreSQL cluster in <dataDir>/pg.
   */
  dataDir?: string;
  /**
   * FerretDB's storage, when FerretDB is what runs (not with MONGODB_URI or a mongod on PATH).
   * Default: env UPLINK_FERRETDB_BACKEND, else 'sqlite'. SQLite needs nothing installed, but never
   * uses the _id index (every lookup is a full scan) and answers concurrent writers with
   * "database is locked (SQLITE_BUSY)": measure performance on 'postgresql', where lookups by _id
   * or by an indexed field use indexes (see FERRETDB_POSTGRES_SETUP) and writers do not lock each
   * other out. It runs a private PostgreSQL server in <dataDir>/pg, installing PostgreSQL when
   * missing (as root: `apt-get install -y postgresql`, about 5 s; otherwise startMongo throws
   * saying what to install).
   */
  backend?: FerretDbBackend;
}

/**
 * Makes FerretDB's equality lookups (`{_id: x}`, `{field: x}` on an indexed field) use indexes.
 * FerretDB 1.24 sends them as `_jsonb->$1 @> $2` in a cached prepared statement, and only creates
 * btree indexes (on `_jsonb->'field'`). Btree cannot serve `@>`, and once PostgreSQL switches the
 * statement to a generic plan, `_jsonb->$1` matches no index expression at all: every lookup was
 * a full scan (18 ms per findOne/updateOne by _id at 100k documents). So:
 * 1. an event trigger gives each such btree index a GIN jsonb_path_ops twin on the same
 *    expression (GIN serves `@>`), and drops the twin with it. fastupdate is off, else lookups
 *    also scan the pending list of recent inserts (3 ms instead of 1 at 100k documents);
 * 2. the database plans every execution with its parameter values (plan_cache_mode).
 * With both, those lookups take about 1 ms. Results are unchanged: indexes and plan choice never
 * change what a query returns. Idempotent; it also gives twins to the tables of a reused data dir.
 */
const FERRETDB_POSTGRES_SETUP = String.raw`
ALTER DATABASE ferretdb SET plan_cache_mode = force_custom_plan;

CREATE OR REPLACE FUNCTION public.uplink_gin_twin(btree oid) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  info record;
  key text;
BEGIN
  SELECT i.indrelid::regclass AS tbl, c.relname AS name, a.amname AS am INTO info
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
    WHERE i.indexrelid = btree;
  IF info.am IS DISTINCT FROM 'btree' THEN RETURN; END IF;
  key := pg_get_indexdef(btree, 1, true);
  IF key !~ '^\(_jsonb -> ''([^'']|'''')*''::text\)$' THEN RETURN; END IF;
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((%s) jsonb_path_ops) WITH (fastupdate = off)',
    left(info.name, 59) || '_gin', info.tbl, key);
END
$fn$;

CREATE OR REPLACE FUNCTION public.uplink_gin_twin_created() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE
  command record;
BEGIN
  FOR command IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
    PERFORM public.uplink_gin_twin(command.objid);
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION public.uplink_gin_twin_dropped() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE
  dropped record;
BEGIN
  FOR dropped IN SELECT schema_name, object_name FROM pg_event_trigger_dropped_objects()
      WHERE object_type = 'index' AND original AND object_name NOT LIKE '%\_gin' LOOP
    EXECUTE format('DROP INDEX IF EXISTS %I.%I', dropped.schema_name, left(dropped.object_name, 59) || '_gin');
  END LOOP;
END
$fn$;

DROP EVENT TRIGGER IF EXISTS uplink_gin_twin_created;
CREATE EVENT TRIGGER uplink_gin_twin_created ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION public.uplink_gin_twin_created();
DROP EVENT TRIGGER IF EXISTS uplink_gin_twin_dropped;
CREATE EVENT TRIGGER uplink_gin_twin_dropped ON sql_drop WHEN TAG IN ('DROP INDEX')
  EXECUTE FUNCTION public.uplink_gin_twin_dropped();

DO $do$
DECLARE
  btree oid;
BEGIN
  FOR btree IN SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') LOOP
    PERFORM public.uplink_gin_twin(btree);
  END LOOP;
END
$do$;
`;

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
 * mongod from PATH, else FerretDB on SQLite or PostgreSQL (see StartMongoOptions.backend). FerretDB
 * lacks TTL indexes, change streams and transactions: code under test must not depend on them.
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
  const backend = mongod ? undefined : (options.backend ?? ferretDbBackendFromEnv());
  const binary = mongod ?? (await ensureFerretDb());
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await createTempDir(`uplink-${kind}-`));
  await mkdir(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const uri = `mongodb://127.0.0.1:${port}/`;

  // On failure the data dir (with the servers' logs) stays until this process exits.
  let postgres: PostgresServer | undefined;
  if (backend === 'postgresql') {
    postgres = await startPostgres({ dataDir, database: 'ferretdb', setupSql: FERRETDB_POSTGRES_SETUP });
  }
  const storage = postgres
    ? // FerretDB's PostgreSQL pool defaults to a few dozen connections, and under a hundred
      // concurrent client operations it starved: every request waited for a connection while
      // the pool's connections sat idle (goroutine dump: 85 waiters in pgxpool.Acquire). The
      // server allows 200 connections; give FerretDB most of them.
      ['--handler=postgresql', `--postgresql-url=${postgres.url}?pool_max_conns=150`]
    : ['--handler=sqlite', `--sqlite-url=file:${dataDir}/`];
  const args = mongod
    ? ['--bind_ip', '127.0.0.1', '--port', String(port), '--dbpath', dataDir]
    : [
        ...storage,
        `--listen-addr=127.0.0.1:${port}`,
        '--telemetry=disable',
        '--debug-addr=-',
        `--state-dir=${dataDir}`,
        '--log-level=warn',
      ];

  let server: Awaited<ReturnType<typeof startProcess>>;
  try {
    server = await startProcess({
      name: kind,
      command: binary,
      args,
      logFile: join(dataDir, `${kind}.log`),
      // The port opening first keeps us from building a driver client on every poll.
      ready: async () => (await canConnect(port)) && (await mongoPings(uri)),
      readyTimeoutMs: 60_000,
    });
  } catch (error) {
    // startPostgres() was given our dataDir, so this stops PostgreSQL and keeps the dir.
    await postgres?.stop();
    throw error;
  }
  return {
    uri,
    kind,
    ...(backend && { backend }),
    ...(postgres && { postgresUrl: postgres.url }),
    stop: async () => {
      await server.stop();
      await postgres?.stop();
      if (ownDataDir) await removeTempDir(dataDir);
    },
  };
}

// Benchmark: upload intents per second through the real stack (upload-gateway's main.ts ->
// MongoDB-wire: link by token, tenant policy, one insert; the SAS is signed in-process), against
// a same-run Fastify hello world on the same Node with the same autocannon settings.
// Target: gateway throughput >= 0.5 x hello world; p50/p99 reported; no non-2xx response, and
// every 2xx answer recorded its upload in the database.
// A second baseline, a bare Fastify route doing only the intent's three database operations on
// the same database, tells the database's share from the gateway's.
//
// Also exports the upload stack both upload benchmarks run on (infra, Azurite, the gateway as
// its own process, a tenant, and fresh links on demand).
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type autocannon from 'autocannon';
import { type AzuriteServer, startAzurite } from '../packages/dev-servers/src/index.ts';
import { AzureBlobStore } from '../packages/storage/src/index.ts';
import {
  connectMongo,
  type Mongo,
  MongoLinkStore,
  MongoTenantStore,
} from '../packages/store/src/mongo/index.ts';
import {
  type BenchChild,
  type BenchResult,
  cpuMeter,
  cpuMs,
  findPid,
  type Infra,
  infraPids,
  log,
  round,
  startChild,
  startInfra,
  startService,
  summarizeLog,
} from './lib/common.ts';
import {
  CONNECTIONS,
  MEASURE_SECONDS,
  type OkRunFigures,
  okRunFigures,
  postLoad,
  ROUNDS,
  runFiguresText,
  summarizeRounds,
  WARMUP_SECONDS,
  warmAndMeasure,
} from './lib/load-figures.ts';

const NAME = 'upload-intents';
const TARGET_RATIO = 0.5;
/** Intents for a pending link are unlimited; a few links spread the lookups anyway. */
const LINKS = 8;
const API_KEY = 'upk_bench_upload_gateway_key_0000000000';
const CONTAINER = 'bench-uploads';
const DB = 'bench_upload_intents';
/** High enough that the rate limiter counts but never refuses during a benchmark. */
const NO_RATE_LIMIT = String(1_000_000_000);

// ---------------------------------------------------------------------------------------------
// The upload stack
// ---------------------------------------------------------------------------------------------

export type UploadGateway = { child: BenchChild /** http://127.0.0.1:<port> */; url: string };

export type UploadStack = {
  infra: Infra;
  azurite: AzuriteServer;
  /** The gateway as configured by default (plus the benchmark's `env`). */
  gateway: UploadGateway;
  /** The bench's own connection to the gateway's database. */
  mongo: Mongo;
  links: MongoLinkStore;
  tenantId: string;
  /** The gateways' container, through the same storage wrapper the gateway uses. */
  storage: AzureBlobStore;
  /** Another gateway process on the same servers, with `env` on top; stopped by `stop()`. */
  uploadGatewayHarness(name: string, env: Record<string, string>): Promise<UploadGateway>;
  /**
   * CPU ms each process uses from now on: the gateways, the MongoDB-wire server, PostgreSQL
   * (postmaster and backends), nats-server, Azurite, this process, and `extra`.
   */
  meter(extra?: Record<string, number>): { since(): Record<string, number> };
  /** A fresh pending link of the benchmark tenant (a link takes one file). */
  newLink(): Promise<{ linkId: string; token: string }>;
  stop(): Promise<void>;
};

export async function startUploadStack(
  run: string,
  db: string,
  env: Record<string, string> = {},
): Promise<UploadStack> {
  log(run, 'starting MongoDB-wire server, nats-server and Azurite');
  const [infra, azurite] = await Promise.all([startInfra(), startAzurite()]);
  const gateways: BenchChild[] = [];
  let mongo: Mongo | undefined;
  const stopAll = async () => {
    for (const child of gateways.reverse()) await child.stop().catch(() => undefined);
    await mongo?.client.close().catch(() => undefined);
    await Promise.allSettled([infra.stop(), azurite.stop()]);
  };
  try {
    mongo = await connectMongo(infra.mongo.uri, db, 'bench-upload');
    const tenantId = await new MongoTenantStore(mongo.db).ensureBootstrapTenant(API_KEY, new Date());
    const links = new MongoLinkStore(mongo.db);
    const azuritePid = findPid('--blobPort', new URL(azurite.blobEndpoint).port);
    const pids: Record<string, number> = {
      ...infraPids(infra),
      ...(azuritePid === undefined ? {} : { azurite: azuritePid }),
      bench: process.pid,
    };
    const postgresPort = infra.mongo.postgresUrl ? new URL(infra.mongo.postgresUrl).port : undefined;
    const postmaster = postgresPort ? findPid(`-p ${postgresPort}`, 'listen_addresses') : undefined;

    const uploadGatewayHarness = async (
      name: string,
      extraEnv: Record<string, string>,
    ): Promise<UploadGateway> => {
      const child = await startService(
        name,
        'upload-gateway',
        {
          MONGODB_URI: infra.mongo.uri,
          MONGODB_DB: db,
          NATS_URL: infra.nats.url,
          PUBLIC_UPLOAD_BASE_URL: 'http://127.0.0.1:8081/u/',
          AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
          AZURE_STORAGE_CONTAINER: CONTAINER,
          AZURE_STORAGE_CONFIGURE: 'true',
          RATE_LIMIT_PER_IP: NO_RATE_LIMIT,
          RATE_LIMIT_PER_TOKEN: NO_RATE_LIMIT,
          ...extraEnv,
        },
        {
          run,
          // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each gateway process there.
          execArgv: process.env.BENCH_CPU_PROF
            ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
            : [],
        },
      );
      gateways.push(child);
      pids[name] = child.pid;
      return { child, url: `http://127.0.0.1:${child.ready.port}` };
    };
    const gateway = await uploadGatewayHarness('upload-gateway', env);
    const storage = await AzureBlobStore.fromConfig({
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      AZURE_STORAGE_USE_IDENTITY: false,
      AZURE_STORAGE_CONTAINER: CONTAINER,
    });
    let ticket = 1000;
    return {
      infra,
      azurite,
      gateway,
      mongo,
      links,
      tenantId,
      storage,
      uploadGatewayHarness,
      meter(extra = {}) {
        const processes = cpuMeter({ ...pids, ...extra });
        const postgresStart = postmaster === undefined ? 0 : treeCpuMs(postmaster);
        return {
          since() {
            const used = processes.since();
            if (postmaster !== undefined) used.postgres = treeCpuMs(postmaster) - postgresStart;
            return used;
          },
        };
      },
      async newLink() {
        const { link, token } = await links.create({
          tenantId,
          ticket: { provider: 'freshdesk', id: String(ticket++) },
          validityHours: 2,
          now: new Date(),
        });
        return { linkId: link._id, token };
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** CPU ms of a process and its direct children (the postmaster and its backends). */
function treeCpuMs(root: number): number {
  let total = cpuMs(root) ?? 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === root) total += cpuMs(Number(entry)) ?? 0;
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

const TARGETS = ['hello-world', 'db-only', 'gateway'] as const;
type Target = (typeof TARGETS)[number];

type RunFigures = OkRunFigures & { target: Target; round: number };

/** What the page sends for a picked 1 MB PDF; the name varies as it would between customers. */
function intentBody(n: number): string {
  return JSON.stringify({
    fileName: `invoice-${n}.pdf`,
    contentType: 'application/pdf',
    size: 1_000_000,
    kind: 'file',
  });
}

async function load(url: string, paths: readonly string[], seconds: number): Promise<autocannon.Result> {
  let n = 0;
  return postLoad(url, seconds, {
    headers: { 'content-type': 'application/json' },
    setupRequest: (request) => {
      const i = n++;
      return { ...request, path: paths[i % paths.length] as string, body: intentBody(i) };
    },
  });
}

async function probe(url: string, check: (body: Record<string, unknown>) => boolean): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: intentBody(0),
  });
  const text = await response.text();
  if (response.status !== 201 || !check(JSON.parse(text) as Record<string, unknown>)) {
    throw new Error(`${url} answered ${response.status}: ${text.slice(0, 300)}`);
  }
}

export async function runUploadIntents(): Promise<BenchResult> {
  const started = Date.now();
  const stack = await startUploadStack(NAME, DB);
  const children: BenchChild[] = [];
  try {
    const hello = await startChild('hello-world', 'hello-world.ts', {}, { run: NAME });
    children.push(hello);
    const dbOnly = await startChild(
      'db-only',
      'intent-baseline.ts',
      { MONGO_URI: stack.infra.mongo.uri, MONGO_DB: DB },
      { run: NAME },
    );
    children.push(dbOnly);
    const tokens: string[] = [];
    for (let i = 0; i < LINKS; i++) tokens.push((await stack.newLink()).token);
    const intentPaths = tokens.map((token) => `/u/${token}/uploads`);
    const childUrl = (child: BenchChild) => `http://127.0.0.1:${child.ready.port}`;
    const targets: Record<Target, { child: BenchChild; url: string; paths: readonly string[] }> = {
      'hello-world': { child: hello, url: childUrl(hello), paths: ['/hello'] },
      'db-only': { child: dbOnly, url: childUrl(dbOnly), paths: intentPaths },
      gateway: { child: stack.gateway.child, url: stack.gateway.url, paths: intentPaths },
    };
    await probe(`${targets['hello-world'].url}/hello`, (body) => body.hello === 'world');
    await probe(`${targets['db-only'].url}${intentPaths[0]}`, (body) => typeof body.uploadId === 'string');
    await probe(
      `${targets.gateway.url}${intentPaths[0]}`,
      (body) => typeof body.uploadId === 'string' && typeof body.uploadUrl === 'string',
    );
    log(
      NAME,
      `servers: ${stack.infra.mongo.kind} at ${stack.infra.mongo.uri}, nats at ${stack.infra.nats.url}, ` +
        `Azurite at ${stack.azurite.blobEndpoint}; hello-world pid ${hello.pid}, db-only pid ${dbOnly.pid}, ` +
        `upload-gateway pid ${stack.gateway.child.pid} (child processes; autocannon in pid ${process.pid})`,
    );

    const loadBefore = loadavg();
    const uploads = stack.mongo.db.collection('uploads');
    let real2xx = 1; // the probe
    const runs: RunFigures[] = [];
    const order: Target[] = [];
    for (let r = 0; r < ROUNDS; r++) order.push(...TARGETS);
    for (const [i, target] of order.entries()) {
      const { child, url, paths } = targets[target];
      const roundNo = Math.floor(i / TARGETS.length) + 1;
      const { warm, result, cpu } = await warmAndMeasure(
        (seconds) => load(url, paths, seconds),
        () => stack.meter({ [child.name]: child.pid }),
      );
      if (target === 'gateway') real2xx += warm['2xx'] + result['2xx'];
      const figures: RunFigures = { target, round: roundNo, ...okRunFigures(result, cpu) };
      runs.push(figures);
      log(
        NAME,
        `round ${roundNo} ${target.padEnd(11)} ${figures.okPerSec} 2xx/s  ${runFiguresText(figures)}`,
      );
    }

    // Every 2xx intent must have recorded its upload (requests cut off at the end of a run may
    // still have written theirs, so the database may hold a few more).
    const recorded = await uploads.countDocuments({});
    const intentsOk = recorded >= real2xx;
    log(NAME, `uploads recorded ${recorded}, 2xx intents ${real2xx}`);

    const summarize = (t: Target) => {
      const { perSec, ...rest } = summarizeRounds(
        runs.filter((r) => r.target === t),
        (r) => r.okPerSec,
      );
      return { okPerSec: perSec, ...rest };
    };
    const b = summarize('hello-world');
    const db = summarize('db-only');
    const gw = summarize('gateway');
    const ratio = round(gw.okPerSec / b.okPerSec, 3);
    const ratioToDbOnly = round(gw.okPerSec / db.okPerSec, 3);
    const non2xx = b.non2xx + db.non2xx + gw.non2xx;
    const errors = b.errors + db.errors + gw.errors;
    const passed = ratio >= TARGET_RATIO && non2xx === 0 && errors === 0 && intentsOk;
    const headline =
      `upload-intents: gateway ${gw.okPerSec} req/s vs hello-world ${b.okPerSec} req/s = ${ratio.toFixed(3)}x ` +
      `(target >= ${TARGET_RATIO}) ${ratio >= TARGET_RATIO ? 'MET' : 'MISSED'}; ` +
      `gateway p50/p99 ${gw.latencyMs.p50}/${gw.latencyMs.p99} ms ` +
      `(hello-world ${b.latencyMs.p50}/${b.latencyMs.p99} ms); ` +
      `db-only ${db.okPerSec} req/s (gateway ${ratioToDbOnly.toFixed(2)}x of it); ` +
      `non-2xx ${non2xx}, errors ${errors}; uploads recorded ${recorded} for ${real2xx} 2xx intents`;
    return {
      name: NAME,
      headline,
      passed,
      target: { ratio: TARGET_RATIO },
      setup: {
        mongoKind: stack.infra.mongo.kind,
        mongoBackend: stack.infra.mongo.backend ?? null,
        servers:
          'hello-world, db-only and upload-gateway each in its own child process; autocannon in the parent',
        connections: CONNECTIONS,
        pipelining: 1,
        warmupSeconds: WARMUP_SECONDS,
        measureSeconds: MEASURE_SECONDS,
        rounds: ROUNDS,
        links: LINKS,
        order,
        loadAverageBefore: loadBefore.map((l) => round(l, 2)),
        loadAverageAfter: loadavg().map((l) => round(l, 2)),
      },
      ratio,
      ratioToDbOnly,
      helloWorld: b,
      dbOnly: db,
      gateway: gw,
      runs,
      intents: { ok2xx: real2xx, uploadsRecorded: recorded },
      logs: {
        'hello-world': summarizeLog(hello.logFile),
        'db-only': summarizeLog(dbOnly.logFile),
        'upload-gateway': summarizeLog(stack.gateway.child.logFile),
      },
      elapsedSeconds: round((Date.now() - started) / 1000, 1),
    };
  } finally {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    await stack.stop();
  }
}

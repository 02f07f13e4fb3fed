// Benchmark: link creation through the real stack (HTTP -> MongoDB-wire -> outbox -> NATS),
// against a same-run baseline: a bare Fastify route doing one insertOne into the same server.
// Target: real throughput >= 0.7 x baseline; p99 latency reported; every created link's
// link.created event reaches the stream.
//
// Each HTTP server runs in its own child process, so autocannon (in this process) never shares
// an event loop with the server it measures. Both children run for the whole benchmark, idle
// while the other is measured.
import type autocannon from 'autocannon';
import { Subjects } from '../packages/contracts/src/index.ts';
import { openNatsBus } from '../packages/event-bus/src/nats.ts';
import { createLogger } from '../packages/kit/src/index.ts';
import { connectMongo } from '../packages/store/src/mongo/index.ts';
import {
  type BenchChild,
  type BenchResult,
  cpuMeter,
  infraPids,
  log,
  readSubject,
  round,
  sleep,
  startChild,
  startInfra,
  startService,
  summarizeLog,
} from './lib/common.ts';
import {
  CONNECTIONS,
  cpuMsPer,
  type LatencyFigures,
  latencyFigures,
  MEASURE_SECONDS,
  postLoad,
  ROUNDS,
  runFiguresText,
  summarizeRounds,
  WARMUP_SECONDS,
  warmAndMeasure,
} from './lib/load-figures.ts';

const NAME = 'link-creation';
const TARGET_RATIO = 0.7;
const API_KEY = 'upk_bench_bootstrap_key_000000000000000';
const REAL_DB = 'bench_uplink';
const BASELINE_DB = 'bench_baseline';
/** How long the outbox may take to drain after the last request. */
const DRAIN_TIMEOUT_MS = 30_000;

type Target = 'baseline' | 'real';

type RunFigures = {
  target: Target;
  round: number;
  reqPerSec: number;
  latencyMs: LatencyFigures;
  requests: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU ms used per request by each process during the measured part. */
  cpuMsPerRequest: Record<string, number>;
};

async function load(
  url: string,
  path: string,
  auth: string | undefined,
  seconds: number,
): Promise<autocannon.Result> {
  let n = 0;
  return postLoad(url, seconds, {
    path,
    headers: {
      'content-type': 'application/json',
      ...(auth ? { authorization: `Bearer ${auth}` } : {}),
    },
    // Spread links over many tickets, as real traffic would.
    setupRequest: (request) => ({
      ...request,
      body: JSON.stringify({
        ticket: { provider: 'freshdesk', id: String(1000 + (n++ % 5000)) },
        validityHours: 2,
      }),
    }),
  });
}

async function probe(url: string, auth: string | undefined): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: JSON.stringify({ ticket: { provider: 'freshdesk', id: '123' }, validityHours: 2 }),
  });
  if (response.status !== 201) {
    throw new Error(`${url} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
}

export async function runLinkCreation(): Promise<BenchResult> {
  const started = Date.now();
  log(NAME, 'starting MongoDB-wire server and nats-server');
  const infra = await startInfra();
  const children: BenchChild[] = [];
  try {
    const common = { MONGO_URI: infra.mongo.uri, NATS_URL: infra.nats.url };
    const baseline = await startChild(
      'baseline',
      'baseline.ts',
      { ...common, MONGO_DB: BASELINE_DB },
      { run: NAME },
    );
    children.push(baseline);
    const real = await startService(
      'link-service',
      'link-service',
      {
        MONGODB_URI: infra.mongo.uri,
        MONGODB_DB: REAL_DB,
        NATS_URL: infra.nats.url,
        UPLINK_BOOTSTRAP_API_KEY: API_KEY,
      },
      {
        run: NAME,
        // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the link-service process there.
        execArgv: process.env.BENCH_CPU_PROF
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
          : [],
      },
    );
    children.push(real);
    const targets = {
      baseline: { child: baseline, path: '/records', auth: undefined },
      real: { child: real, path: '/v1/links', auth: API_KEY },
    } as const;
    const urlOf = (t: Target) => `http://127.0.0.1:${targets[t].child.ready.port}`;
    await probe(`${urlOf('baseline')}/records`, undefined);
    await probe(`${urlOf('real')}/v1/links`, API_KEY);
    log(
      NAME,
      `servers: ${infra.mongo.kind} at ${infra.mongo.uri}, nats at ${infra.nats.url}; ` +
        `baseline pid ${baseline.pid}, link-service pid ${real.pid} (child processes; autocannon in pid ${process.pid})`,
    );

    const pids = { ...infraPids(infra), autocannon: process.pid };
    let realRequests2xx = 2; // the probes
    const runs: RunFigures[] = [];
    const order: Target[] = [];
    for (let r = 0; r < ROUNDS; r++) order.push('baseline', 'real');
    for (const [i, target] of order.entries()) {
      const { child, path, auth } = targets[target];
      const roundNo = Math.floor(i / 2) + 1;
      const { warm, result, cpu } = await warmAndMeasure(
        (seconds) => load(urlOf(target), path, auth, seconds),
        () => cpuMeter({ ...pids, [child.name]: child.pid }),
      );
      if (target === 'real') realRequests2xx += warm['2xx'] + result['2xx'];
      const requests = result['2xx'] + result.non2xx;
      const figures: RunFigures = {
        target,
        round: roundNo,
        reqPerSec: round(result.requests.average, 1),
        latencyMs: latencyFigures(result),
        requests,
        ok2xx: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        cpuMsPerRequest: cpuMsPer(cpu, requests),
      };
      runs.push(figures);
      log(
        NAME,
        `round ${roundNo} ${target.padEnd(8)} ${figures.reqPerSec} req/s  ${runFiguresText(figures)}`,
      );
    }

    // Every link the real runs created must have its link.created event in the stream.
    log(NAME, 'checking that every created link has its link.created event in the stream');
    const logger = createLogger({ service: 'bench', level: 'warn' });
    const mongo = await connectMongo(infra.mongo.uri, REAL_DB, 'bench-check');
    const bus = await openNatsBus(infra.nats.url, 'bench-check', logger);
    let delivery: {
      createdViaHttp2xx: number;
      linksInDb: number;
      linkCreatedMessages: number;
      distinctLinkIds: number;
      missing: number;
      duplicates: number;
      linksWithPendingOutbox: number;
      drainWaitMs: number;
    };
    let diagnosis: Record<string, unknown>;
    try {
      const links = mongo.db.collection<{ _id: string; outbox?: unknown[] }>('links');
      const drainStart = Date.now();
      const drainDeadline = drainStart + DRAIN_TIMEOUT_MS;
      // Requests still in flight when autocannon stopped complete on their own: let the count settle.
      let linksInDb = await links.countDocuments({});
      while (Date.now() < drainDeadline) {
        await sleep(1_000);
        const now = await links.countDocuments({});
        if (now === linksInDb) break;
        linksInDb = now;
      }
      const seen = new Set<string>();
      let messages = 0;
      let newestLinkId = '';
      await readSubject(
        bus,
        Subjects.linkCreated,
        (msg) => {
          messages++;
          newestLinkId = (msg.json() as { linkId: string }).linkId;
          seen.add(newestLinkId);
        },
        () => seen.size >= linksInDb,
        drainDeadline,
      );
      // Entries are removed from the outbox once acknowledged; wait for that too.
      const pendingOutbox = async () =>
        (await links.find({}, { projection: { outbox: 1 } }).toArray()).filter(
          (d) => (d.outbox?.length ?? 0) > 0,
        ).length;
      let linksWithPendingOutbox = await pendingOutbox();
      while (linksWithPendingOutbox > 0 && Date.now() < drainDeadline) {
        await sleep(1_000);
        linksWithPendingOutbox = await pendingOutbox();
      }
      delivery = {
        createdViaHttp2xx: realRequests2xx,
        linksInDb,
        linkCreatedMessages: messages,
        distinctLinkIds: seen.size,
        missing: linksInDb - seen.size,
        duplicates: messages - seen.size,
        linksWithPendingOutbox,
        drainWaitMs: Date.now() - drainStart,
      };

      // What one lookup by _id costs in each collection (the outbox publisher does a findOne
      // and an updateOne by _id for every created link; the baseline does neither).
      const records = mongo.client.db(BASELINE_DB).collection<{ _id: string; createdAt: Date }>('records');
      const newestRecord = await records.find({}).sort({ createdAt: -1 }).limit(1).next();
      const timeFindOne = async (coll: typeof records | typeof links, id: string) => {
        const t = performance.now();
        for (let i = 0; i < 10; i++) await coll.findOne({ _id: id }, { projection: { _id: 1 } });
        return round((performance.now() - t) / 10, 2);
      };
      diagnosis = {
        note: 'mean ms of findOne({_id}) for the newest document, 10 tries, server idle',
        links: { documents: linksInDb, findOneByIdMs: await timeFindOne(links, newestLinkId) },
        baselineRecords: {
          documents: await records.countDocuments({}),
          findOneByIdMs: newestRecord ? await timeFindOne(records, newestRecord._id) : null,
        },
      };
    } finally {
      await bus.close();
      await mongo.client.close();
    }
    log(NAME, `delivery ${JSON.stringify(delivery)}`);
    log(NAME, `diagnosis ${JSON.stringify(diagnosis)}`);

    const summarize = (t: Target) => {
      const { perSec, ...rest } = summarizeRounds(
        runs.filter((r) => r.target === t),
        (r) => r.reqPerSec,
      );
      return { reqPerSec: perSec, ...rest };
    };
    const b = summarize('baseline');
    const rl = summarize('real');
    const ratio = round(rl.reqPerSec / b.reqPerSec, 3);
    // Requests cut off when a run ended may still have created their link: the DB can hold more.
    const eventsOk =
      delivery.missing === 0 &&
      delivery.duplicates === 0 &&
      delivery.linksInDb >= delivery.createdViaHttp2xx &&
      delivery.linksWithPendingOutbox === 0;
    const passed =
      ratio >= TARGET_RATIO && b.non2xx + rl.non2xx === 0 && b.errors + rl.errors === 0 && eventsOk;
    const headline =
      `link-creation: real ${rl.reqPerSec} req/s vs baseline ${b.reqPerSec} req/s = ${ratio.toFixed(2)}x ` +
      `(target >= ${TARGET_RATIO}) ${ratio >= TARGET_RATIO ? 'MET' : 'MISSED'}; ` +
      `real p50/p97.5/p99 ${rl.latencyMs.p50}/${rl.latencyMs.p97_5}/${rl.latencyMs.p99} ms ` +
      `(baseline ${b.latencyMs.p50}/${b.latencyMs.p97_5}/${b.latencyMs.p99} ms); ` +
      `non-2xx ${b.non2xx + rl.non2xx}; link.created ${delivery.distinctLinkIds}/${delivery.linksInDb} links ` +
      `(missing ${delivery.missing})`;
    return {
      name: NAME,
      headline,
      passed,
      target: { ratio: TARGET_RATIO },
      setup: {
        mongoKind: infra.mongo.kind,
        mongoBackend: infra.mongo.backend ?? null,
        servers: 'baseline and link-service each in its own child process; autocannon in the parent',
        connections: CONNECTIONS,
        pipelining: 1,
        warmupSeconds: WARMUP_SECONDS,
        measureSeconds: MEASURE_SECONDS,
        rounds: ROUNDS,
        order,
      },
      ratio,
      baseline: b,
      real: rl,
      runs,
      delivery,
      diagnosis,
      logs: Object.fromEntries(children.map((c) => [c.name, summarizeLog(c.logFile)])),
      elapsedSeconds: round((Date.now() - started) / 1000, 1),
    };
  } finally {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    await infra.stop();
  }
}

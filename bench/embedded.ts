// Benchmark: the one-process default under load. `npm start`'s process (scripts/start.ts: the four
// services, the SQLite session store, the SQLite event bus and Azurite, in one Node process on a
// temp data folder) against a bare Fastify route on node:sqlite with the durability Uplink
// promises, each in its own process, autocannon in this one:
// - link creation, `POST /v1/links` vs one insert of a link-sized row: target >= 0.7x;
// - upload intents, `POST /u/{token}/uploads` vs the intent's database work (the link by its
//   token's hash, the tenant's settings, one upload record): target >= 0.8x;
// - peak RSS of the Uplink process during the link-creation run (VmHWM, and VmRSS sampled), with
//   any child processes it has: target <= 250 MB.
// Each series runs on a fresh Uplink process, so the link-creation one's VmHWM is that run's peak
// and a CPU profile of it (BENCH_CPU_PROF=<dir>) holds that load only.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type autocannon from 'autocannon';
import { Subjects } from '../packages/contracts/src/index.ts';
import {
  type BenchChild,
  type BenchResult,
  benchDir,
  cpuMeter,
  log,
  round,
  startChild,
  summarizeLog,
} from './lib/common.ts';
import { embeddedBenchEnv, gatewayReady, startEmbeddedUplink } from './lib/embedded-uplink.ts';
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

const NAME = 'embedded-load';
const TARGET_LINKS_RATIO = 0.7;
const TARGET_INTENTS_RATIO = 0.8;
const TARGET_PEAK_RSS_MB = 250;
/**
 * The baseline's durability: SQLite in WAL mode with synchronous=FULL syncs the WAL at every
 * COMMIT, so a write it answered survives a power loss, not only a crash. That is what Uplink
 * promises for an acknowledged write (see the README's durability promise), so the bare route
 * pays the same price, one transaction and one sync per request. NORMAL would sync only at
 * checkpoints: a crash-safe but not power-loss-safe baseline, several times faster.
 */
const BASELINE_SYNCHRONOUS = 'FULL';
const API_KEY = 'upk_bench_embedded_bootstrap_key_00000000';
/** Intents for a pending link are unlimited; a few links spread the lookups anyway. */
const LINKS = 8;
const RSS_SAMPLE_MS = 100;

type Target = 'baseline' | 'uplink';

type RunFigures = OkRunFigures & { target: Target; round: number };

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

type UplinkProcess = {
  child: BenchChild;
  dataDir: string;
  api: string;
  gateway: string;
  /**
   * Stops it (Ctrl-C, as a person does), reads what its data folder holds, then removes the
   * folder.
   */
  stop(): Promise<StoredCounts | undefined>;
};

/**
 * `npm start`'s process, with its Node options, run directly (no npm or toolchain launchers), on
 * a fresh data folder.
 */
async function startUplink(series: string): Promise<UplinkProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), `uplink-bench-${series}-`));
  const env = await embeddedBenchEnv(dataDir, API_KEY);
  const api = `http://127.0.0.1:${env.LINK_SERVICE_PORT}`;
  const gateway = `http://127.0.0.1:${env.UPLOAD_GATEWAY_PORT}`;
  const child = await startEmbeddedUplink({
    name: `uplink-${series}`,
    env,
    logFile: join(benchDir, 'results', `${NAME}-uplink-${series}.log`),
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each Uplink process there.
    nodeOptions: process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [],
  }).catch(async (err: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  // link-service answers first; the gateway must too before its series starts.
  await gatewayReady(child, env);
  return {
    child,
    dataDir,
    api,
    gateway,
    async stop() {
      await child.stop();
      try {
        return storedCounts(dataDir);
      } catch {
        return undefined;
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** The pids under `root`, with what each is (from its command line). */
function descendants(root: number): Array<{ pid: number; command: string }> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(entry, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended meanwhile.
    }
  }
  const found: number[] = [root];
  for (let i = 0; i < found.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === found[i]) found.push(pid);
  }
  return found.slice(1).map((pid) => {
    let command = 'gone';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 120);
    } catch {
      // The process ended meanwhile.
    }
    return { pid, command };
  });
}

/** VmRSS and VmHWM (the peak so far) of a process, in MB; undefined once it is gone. */
function memoryMB(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kB = (field: string) =>
      Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
    return { rss: round(kB('VmRSS') / 1024, 1), hwm: round(kB('VmHWM') / 1024, 1) };
  } catch {
    return undefined;
  }
}

/** Samples the VmRSS of `pid` and its children every RSS_SAMPLE_MS until `stop()`. */
function sampleRss(pid: number) {
  let maxRss = 0;
  let samples = 0;
  const children = new Map<number, { command: string; maxRss: number; hwm: number }>();
  const timer = setInterval(() => {
    const own = memoryMB(pid);
    if (own) {
      maxRss = Math.max(maxRss, own.rss);
      samples++;
    }
    for (const { pid: childPid, command } of descendants(pid)) {
      const memory = memoryMB(childPid);
      if (!memory) continue;
      const seen = children.get(childPid);
      children.set(childPid, {
        command,
        maxRss: Math.max(seen?.maxRss ?? 0, memory.rss),
        hwm: memory.hwm,
      });
    }
  }, RSS_SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      return {
        maxSampledRssMB: maxRss,
        samples,
        children: [...children].map(([childPid, c]) => ({ pid: childPid, ...c })),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------------

type Request = { path: string; body: string; headers: Record<string, string> };

async function load(url: string, next: () => Request, seconds: number): Promise<autocannon.Result> {
  return postLoad(url, seconds, {
    setupRequest: (request) => {
      const { path, body, headers } = next();
      return { ...request, path, body, headers: { 'content-type': 'application/json', ...headers } };
    },
  });
}

async function post(url: string, request: Request): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${request.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    body: request.body,
  });
  const text = await response.text();
  if (response.status !== 201)
    throw new Error(`${url}${request.path} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Links spread over many tickets, as real traffic would be. */
function linkRequests(path: string, headers: Record<string, string>): () => Request {
  let n = 0;
  return () => ({
    path,
    headers,
    body: JSON.stringify({
      ticket: { provider: 'freshdesk', id: String(1000 + (n++ % 5000)) },
      validityHours: 2,
    }),
  });
}

/** What the page sends for a picked 1 MB PDF, each request naming another file. */
function intentRequests(tokens: readonly string[]): () => Request {
  let n = 0;
  return () => {
    const i = n++;
    return {
      path: `/u/${tokens[i % tokens.length]}/uploads`,
      headers: {},
      body: JSON.stringify({
        fileName: `invoice-${i}.pdf`,
        contentType: 'application/pdf',
        size: 1_000_000,
        kind: 'file',
      }),
    };
  };
}

type Series = {
  name: 'links' | 'intents';
  targets: Record<Target, { url: string; pid: number; next: () => Request }>;
};

/** Baseline and Uplink alternating, ROUNDS times: a warm-up, then the measured run, each. */
type SeriesRuns = { runs: RunFigures[]; uplink2xx: number };

async function runSeries(series: Series): Promise<SeriesRuns> {
  const runs: RunFigures[] = [];
  let uplink2xx = 0;
  for (let r = 1; r <= ROUNDS; r++) {
    for (const target of ['baseline', 'uplink'] as const) {
      const { url, pid, next } = series.targets[target];
      const { warm, result, cpu } = await warmAndMeasure(
        (seconds) => load(url, next, seconds),
        () => cpuMeter({ [target]: pid, autocannon: process.pid }),
      );
      if (target === 'uplink') uplink2xx += warm['2xx'] + result['2xx'];
      const figures: RunFigures = { target, round: r, ...okRunFigures(result, cpu) };
      runs.push(figures);
      log(
        NAME,
        `${series.name} round ${r} ${target.padEnd(8)} ${figures.okPerSec} 2xx/s  ${runFiguresText(figures)}`,
      );
    }
  }
  return { runs, uplink2xx };
}

function summarize(runs: readonly RunFigures[], target: Target) {
  const { perSec, ...rest } = summarizeRounds(
    runs.filter((r) => r.target === target),
    (r) => r.okPerSec,
  );
  return { okPerSec: perSec, ...rest };
}

type StoredCounts = ReturnType<typeof storedCounts>;

/** Counts in a stopped Uplink's data folder: what its answers promised is stored. */
function storedCounts(dataDir: string) {
  const count = (file: string, sql: string, ...params: string[]) => {
    const db = new DatabaseSync(join(dataDir, file), { readOnly: true });
    try {
      return Number(db.prepare(sql).get(...params)?.n ?? Number.NaN);
    } finally {
      db.close();
    }
  };
  return {
    links: count('sessions.sqlite', 'SELECT count(*) AS n FROM links'),
    outboxEntriesLeft: count('sessions.sqlite', 'SELECT count(*) AS n FROM link_outbox'),
    uploads: count('sessions.sqlite', 'SELECT count(*) AS n FROM uploads'),
    linkCreatedEvents: count(
      'events.sqlite',
      'SELECT count(*) AS n FROM messages WHERE subject = ?',
      Subjects.linkCreated,
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

export async function runEmbedded(): Promise<BenchResult> {
  const started = Date.now();
  const loadBefore = loadavg();
  const baselineDir = await mkdtemp(join(tmpdir(), 'uplink-bench-baseline-'));
  const baseline = await startChild(
    'sqlite-baseline',
    'sqlite-baseline.ts',
    {
      SQLITE_PATH: join(baselineDir, 'baseline.sqlite'),
      SQLITE_SYNCHRONOUS: BASELINE_SYNCHRONOUS,
      LINKS: String(LINKS),
    },
    { run: NAME },
  );
  const baselineUrl = `http://127.0.0.1:${baseline.ready.port}`;
  const baselineTokens = baseline.ready.tokens as string[];
  const auth = { authorization: `Bearer ${API_KEY}` };
  try {
    // Link creation, on an Uplink process of its own.
    log(NAME, 'link creation: starting scripts/start.ts');
    const linksUplink = await startUplink('links');
    let links: SeriesRuns;
    let memory: ReturnType<ReturnType<typeof sampleRss>['stop']> & { peakRssMB: number; idleRssMB: number };
    let linksStored: StoredCounts | undefined;
    try {
      const targets: Series['targets'] = {
        baseline: { url: baselineUrl, pid: baseline.pid, next: linkRequests('/records', {}) },
        uplink: { url: linksUplink.api, pid: linksUplink.child.pid, next: linkRequests('/v1/links', auth) },
      };
      await post(baselineUrl, targets.baseline.next());
      await post(linksUplink.api, targets.uplink.next());
      const idle = memoryMB(linksUplink.child.pid);
      log(
        NAME,
        `baseline pid ${baseline.pid}, uplink pid ${linksUplink.child.pid} (idle ${JSON.stringify(idle)} MB)`,
      );
      const sampler = sampleRss(linksUplink.child.pid);
      links = await runSeries({ name: 'links', targets });
      const sampled = sampler.stop();
      memory = {
        ...sampled,
        peakRssMB: memoryMB(linksUplink.child.pid)?.hwm ?? Number.NaN,
        idleRssMB: idle?.rss ?? Number.NaN,
      };
      links.uplink2xx += 1; // the probe
    } finally {
      linksStored = await linksUplink.stop();
    }
    log(NAME, `memory ${JSON.stringify(memory)}; stored ${JSON.stringify(linksStored)}`);

    // Upload intents, on a fresh Uplink process.
    log(NAME, 'upload intents: starting scripts/start.ts');
    const intentsUplink = await startUplink('intents');
    let intents: SeriesRuns;
    let intentsStored: StoredCounts | undefined;
    try {
      const tokens: string[] = [];
      for (let i = 0; i < LINKS; i++) {
        const link = await post(intentsUplink.api, linkRequests('/v1/links', auth)());
        tokens.push(new URL(link.url as string).pathname.split('/').at(-1) as string);
      }
      const targets: Series['targets'] = {
        baseline: { url: baselineUrl, pid: baseline.pid, next: intentRequests(baselineTokens) },
        uplink: { url: intentsUplink.gateway, pid: intentsUplink.child.pid, next: intentRequests(tokens) },
      };
      await post(baselineUrl, targets.baseline.next());
      await post(intentsUplink.gateway, targets.uplink.next());
      intents = await runSeries({ name: 'intents', targets });
      intents.uplink2xx += 1; // the probe
    } finally {
      intentsStored = await intentsUplink.stop();
    }

    const linksBaseline = summarize(links.runs, 'baseline');
    const linksUplinkFigures = summarize(links.runs, 'uplink');
    const intentsBaseline = summarize(intents.runs, 'baseline');
    const intentsUplinkFigures = summarize(intents.runs, 'uplink');
    const linksRatio = round(linksUplinkFigures.okPerSec / linksBaseline.okPerSec, 3);
    const intentsRatio = round(intentsUplinkFigures.okPerSec / intentsBaseline.okPerSec, 3);
    // Requests cut off when a run ended may still have written theirs: the files may hold more.
    const stored = {
      linksOk:
        linksStored !== undefined &&
        linksStored.links >= links.uplink2xx &&
        linksStored.outboxEntriesLeft === 0,
      eventsOk: linksStored !== undefined && linksStored.linkCreatedEvents === linksStored.links,
      uploadsOk: intentsStored !== undefined && intentsStored.uploads >= intents.uplink2xx,
    };
    const failures = [linksBaseline, linksUplinkFigures, intentsBaseline, intentsUplinkFigures].reduce(
      (n, s) => n + s.non2xx + s.errors,
      0,
    );
    const met = {
      links: linksRatio >= TARGET_LINKS_RATIO,
      intents: intentsRatio >= TARGET_INTENTS_RATIO,
      peakRss: memory.peakRssMB <= TARGET_PEAK_RSS_MB,
    };
    const passed =
      met.links &&
      met.intents &&
      met.peakRss &&
      failures === 0 &&
      stored.linksOk &&
      stored.eventsOk &&
      stored.uploadsOk;
    const p = (s: typeof linksBaseline) => `${s.latencyMs.p50}/${s.latencyMs.p97_5}/${s.latencyMs.p99}`;
    const headline =
      `embedded: links ${linksUplinkFigures.okPerSec}/s vs bare sqlite insert ${linksBaseline.okPerSec}/s = ` +
      `${linksRatio.toFixed(2)}x (>= ${TARGET_LINKS_RATIO} ${met.links ? 'MET' : 'MISSED'}), ` +
      `p50/p97.5/p99 ${p(linksUplinkFigures)} ms (baseline ${p(linksBaseline)}); ` +
      `intents ${intentsUplinkFigures.okPerSec}/s vs ${intentsBaseline.okPerSec}/s = ${intentsRatio.toFixed(2)}x ` +
      `(>= ${TARGET_INTENTS_RATIO} ${met.intents ? 'MET' : 'MISSED'}), p50/p97.5/p99 ${p(intentsUplinkFigures)} ms ` +
      `(baseline ${p(intentsBaseline)}); peak RSS ${memory.peakRssMB} MB ` +
      `(<= ${TARGET_PEAK_RSS_MB} ${met.peakRss ? 'MET' : 'MISSED'}, idle ${memory.idleRssMB}); ` +
      `non-2xx/errors ${failures}; stored ${stored.linksOk && stored.eventsOk && stored.uploadsOk ? 'ok' : 'MISMATCH'}`;
    return {
      name: NAME,
      headline,
      passed,
      target: {
        linksRatio: TARGET_LINKS_RATIO,
        intentsRatio: TARGET_INTENTS_RATIO,
        peakRssMB: TARGET_PEAK_RSS_MB,
      },
      setup: {
        uplink:
          'scripts/start.ts (npm start without its launchers) in its own process, a fresh one per series',
        baseline: `bare Fastify 5 on node:sqlite, WAL, synchronous=${BASELINE_SYNCHRONOUS}, its own process`,
        connections: CONNECTIONS,
        pipelining: 1,
        warmupSeconds: WARMUP_SECONDS,
        measureSeconds: MEASURE_SECONDS,
        rounds: ROUNDS,
        links: LINKS,
        loadAverageBefore: loadBefore.map((l) => round(l, 2)),
        loadAverageAfter: loadavg().map((l) => round(l, 2)),
      },
      links: { ratio: linksRatio, baseline: linksBaseline, uplink: linksUplinkFigures, runs: links.runs },
      intents: {
        ratio: intentsRatio,
        baseline: intentsBaseline,
        uplink: intentsUplinkFigures,
        runs: intents.runs,
      },
      memory,
      stored: {
        ...stored,
        links: { ...linksStored, created2xx: links.uplink2xx },
        intents: { uploads: intentsStored?.uploads, intents2xx: intents.uplink2xx },
      },
      logs: {
        baseline: summarizeLog(baseline.logFile),
        'uplink-links': summarizeLog(join(benchDir, 'results', `${NAME}-uplink-links.log`)),
        'uplink-intents': summarizeLog(join(benchDir, 'results', `${NAME}-uplink-intents.log`)),
      },
      elapsedSeconds: round((Date.now() - started) / 1000, 1),
    };
  } finally {
    await baseline.stop().catch(() => undefined);
    await rm(baselineDir, { recursive: true, force: true });
  }
}

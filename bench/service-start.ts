// Benchmark: each of the four services as its own process, as a container runs it (issue 6):
// time to ready, idle RSS and stop time, and the size of the container image when one was built.
//
// The servers start once: FerretDB on PostgreSQL (or MONGODB_URI), nats-server with JetStream and
// in-memory Azurite. Then each service is started as `node services/<name>/src/main.ts`, with the
// environment the Helm chart and the Dockerfile give it and nothing inherited from this process:
// NODE_ENV=production, ESBUILD_WORKER_THREADS=0, MONGODB_URI/MONGODB_DB, NATS_URL, the storage
// connection string where the chart sets one (upload-gateway, note-relay, link-service for its
// previews), UPLINK_SECRET_KEYS for link-service and note-relay, the PUBLIC_* URLs, note-relay's
// NODE_OPTIONS (services/note-relay/src/runtime.ts), LOG_LEVEL=warn and SHUTDOWN_DRAIN_DELAY_MS=0.
//
// Measured, per start:
// - ready: spawn -> first `/readyz` 200, polled every 20 ms;
// - the CPU the process used until then (/proc/<pid>/stat);
// - idle RSS 5 s after ready (/proc/<pid>/status VmRSS, with RssAnon/RssFile and the peak VmHWM);
// - stop: SIGTERM -> the process exits (SIGKILL after 30 s, counted); its port must be closed.
// One unmeasured start of each service comes first (indexes, streams and consumers created, files
// in the page cache), then five rounds of all four, the order rotating each round.
//
// For reference:
// - the floor: `node -e 0` spawn -> exit, and the idle RSS of a bare Node, also on a .ts file
//   (type stripping loads its compiler on the first .ts file, as main.ts does);
// - what each service's imports alone cost: a fresh Node, with the service's NODE_OPTIONS,
//   imports fastify, mongodb, @uplink/kit, @uplink/store, @uplink/storage (where used) and
//   the service's app.ts in that order, timing each, then idles; its RSS is read 5 s later;
// - the image: `buildah images` is asked for localhost/uplink:latest (built by
//   scripts/build-image.sh); the benchmark never builds it.
//
// `node bench/service-start.ts` runs it alone and writes bench/results/service-start.json, as
// bench/run.ts does for the benchmarks it lists.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AzuriteServer, freePort, startAzurite } from '../packages/dev-servers/src/index.ts';
import { SecretBox } from '../packages/kit/src/index.ts';
import { NOTE_RELAY_NODE_OPTIONS } from '../services/note-relay/src/runtime.ts';
import {
  type BenchResult,
  benchDir,
  cpuMs,
  type Infra,
  log,
  machine,
  round,
  sleep,
  startInfra,
  summarizeLog,
  writeResult,
} from './lib/common.ts';

const NAME = 'service-start';
const ROUNDS = 5;
const POLL_MS = 20;
const IDLE_WAIT_MS = 5_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const FLOOR_ROUNDS = 5;
const IDLE_FLOOR_ROUNDS = 3;
const IMPORT_ROUNDS = 3;
const DB = 'bench_service_start';
const CONTAINER = 'bench-service-start';
const IMAGE = 'localhost/uplink:latest';
const BASE_IMAGE = 'docker.io/library/node:24-bookworm-slim';

const SERVICES = ['link-service', 'upload-gateway', 'note-relay', 'expiry-scheduler'] as const;
type ServiceName = (typeof SERVICES)[number];

const repoDir = join(benchDir, '..');

// ---------------------------------------------------------------------------------------------
// /proc
// ---------------------------------------------------------------------------------------------

type Memory = {
  rssMB: number;
  hwmMB: number;
  anonMB: number;
  fileMB: number;
  shmemMB: number;
  threads: number;
};

/** VmRSS and its parts, the peak (VmHWM) and the thread count, from /proc/<pid>/status. */
function memory(pid: number): Memory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kB = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  const mb = (field: string) => round(kB(field) / 1024, 1);
  return {
    rssMB: mb('VmRSS'),
    hwmMB: mb('VmHWM'),
    anonMB: mb('RssAnon'),
    fileMB: mb('RssFile'),
    shmemMB: mb('RssShmem'),
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN),
  };
}

/** The children of `pid` (a service's only child should be esbuild, and only during its start). */
function childrenOf(pid: number): Array<{ pid: number; state: string; comm: string }> {
  const found: Array<{ pid: number; state: string; comm: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) {
        found.push({
          pid: Number(entry),
          state: fields[0] ?? '?',
          comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        });
      }
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

type Spread = { median: number; min: number; max: number };

function spread(values: readonly number[], digits = 1): Spread {
  return {
    median: round(median(values), digits),
    min: round(Math.min(...values), digits),
    max: round(Math.max(...values), digits),
  };
}

// ---------------------------------------------------------------------------------------------
// The environment a container gets
// ---------------------------------------------------------------------------------------------

/** Only what a container has: no variable of this process leaks into the service. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {
    // The Dockerfile's ENV (HOST is 0.0.0.0 there; loopback here).
    NODE_ENV: 'production',
    ESBUILD_WORKER_THREADS: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_DELAY_MS: '0',
  };
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** Each service's variables, as the chart's ConfigMap and Secret give them. */
function serviceEnv(
  service: ServiceName,
  infra: Infra,
  azurite: AzuriteServer,
  secretKeys: string,
): Record<string, string> {
  const common = { ...baseEnv(), MONGODB_URI: infra.mongo.uri, MONGODB_DB: DB, NATS_URL: infra.nats.url };
  const storage = {
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    AZURE_STORAGE_CONTAINER: CONTAINER,
    AZURE_STORAGE_USE_IDENTITY: 'false',
  };
  switch (service) {
    case 'link-service':
      return {
        ...common,
        ...storage,
        UPLINK_SECRET_KEYS: secretKeys,
        PUBLIC_UPLOAD_BASE_URL: 'http://127.0.0.1:8081/u/',
      };
    case 'upload-gateway':
      return {
        ...common,
        ...storage,
        AZURE_STORAGE_CONFIGURE: 'false',
        PUBLIC_UPLOAD_BASE_URL: 'http://127.0.0.1:8081/u/',
      };
    case 'note-relay':
      return {
        ...common,
        ...storage,
        UPLINK_SECRET_KEYS: secretKeys,
        PUBLIC_FILE_BASE_URL: 'http://127.0.0.1:8081/f/',
        NODE_OPTIONS: NOTE_RELAY_NODE_OPTIONS,
      };
    case 'expiry-scheduler':
      return common;
  }
}

// ---------------------------------------------------------------------------------------------
// One start
// ---------------------------------------------------------------------------------------------

type Start = {
  service: ServiceName;
  round: number;
  /** spawn -> first /readyz 200. */
  readyMs: number;
  /** /readyz requests until the first 200. */
  polls: number;
  /** CPU (user + system) the process had used when ready, and 5 s later. */
  cpuAtReadyMs: number;
  cpuAtIdleMs: number;
  /** 5 s after ready. */
  idle: Memory;
  children: Array<{ pid: number; state: string; comm: string }>;
  /** SIGTERM -> exit. */
  stopMs: number;
  exit: { code: number | null; signal: string | null };
  killed: boolean;
  portOpenAfterStop: boolean;
};

function logFileOf(service: string): string {
  return join(benchDir, 'results', `${NAME}-${service}.log`);
}

async function startOnce(service: ServiceName, roundNo: number, env: Record<string, string>): Promise<Start> {
  const port = await freePort();
  const logFile = logFileOf(service);
  appendFileSync(logFile, `--- ${NAME} ${service} round ${roundNo} (${new Date().toISOString()}) ---\n`);
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  const t0 = performance.now();
  try {
    child = spawn(process.execPath, [join('services', service, 'src', 'main.ts')], {
      cwd: repoDir,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid as number;
  let exited = false;
  let exitedAt = Number.NaN;
  let exitStatus: Start['exit'] = { code: null, signal: null };
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedAt = performance.now();
      exited = true;
      exitStatus = { code, signal };
      resolve();
    }),
  );
  try {
    let polls = 0;
    let readyMs = Number.NaN;
    for (;;) {
      polls++;
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        readyMs = performance.now() - t0;
        break;
      }
      if (exited)
        throw new Error(`${service} exited before ready (${JSON.stringify(exitStatus)}); see ${logFile}`);
      if (performance.now() - t0 > READY_TIMEOUT_MS)
        throw new Error(`${service} not ready in time; see ${logFile}`);
      await sleep(POLL_MS);
    }
    const cpuAtReadyMs = cpuMs(pid) ?? Number.NaN;
    await sleep(IDLE_WAIT_MS);
    const idle = memory(pid);
    if (!idle || exited) throw new Error(`${service} exited while idle; see ${logFile}`);
    const cpuAtIdleMs = cpuMs(pid) ?? Number.NaN;
    const children = childrenOf(pid);

    const stopStart = performance.now();
    child.kill('SIGTERM');
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await exit;
    clearTimeout(timer);
    return {
      service,
      round: roundNo,
      readyMs: round(readyMs, 1),
      polls,
      cpuAtReadyMs,
      cpuAtIdleMs,
      idle,
      children,
      stopMs: round(exitedAt - stopStart, 1),
      exit: exitStatus,
      killed,
      portOpenAfterStop: await portOpen(port),
    };
  } catch (err) {
    if (!exited) child.kill('SIGKILL');
    await exit;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Reference: Node's floor and the services' imports
// ---------------------------------------------------------------------------------------------

/** spawn -> exit of `node <args>`, in ms. */
async function timeToExit(args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: baseEnv(), stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')}: exit ${code}`)),
    );
  });
  return performance.now() - t0;
}

/**
 * Spawns `node <args>` (a script that prints one JSON line once it has done its work, then
 * idles), waits for that line, then reads the process's memory `IDLE_WAIT_MS` later.
 */
async function idleProbe(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ report: Record<string, number>; idle: Memory }> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exited = false;
  void exit.then(() => {
    exited = true;
  });
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!out.includes('\n')) {
      if (exited || Date.now() > deadline)
        throw new Error(`probe node ${args.join(' ')} failed: ${err.slice(0, 2_000)}`);
      await sleep(POLL_MS);
    }
    await sleep(IDLE_WAIT_MS);
    const idle = memory(child.pid as number);
    if (!idle) throw new Error(`probe node ${args.join(' ')} ended early: ${err.slice(0, 2_000)}`);
    return { report: JSON.parse(out.slice(0, out.indexOf('\n'))) as Record<string, number>, idle };
  } finally {
    child.kill('SIGKILL');
    await exit;
  }
}

type Floor = {
  nodeExitMs: Spread;
  tsExitMs: Spread;
  idleRssMB: { node: Spread; nodeOnTs: Spread };
  rounds: { nodeExitMs: number[]; tsExitMs: number[]; node: Memory[]; nodeOnTs: Memory[] };
};

async function measureFloor(): Promise<Floor> {
  const dir = await mkdtemp(join(tmpdir(), 'uplink-service-start-'));
  try {
    await writeFile(join(dir, 'exit.ts'), 'const code: number = 0;\nprocess.exitCode = code;\n');
    await writeFile(
      join(dir, 'idle.ts'),
      "const line: string = '{}';\nconsole.log(line);\nsetInterval(() => {}, 1 << 30);\n",
    );
    const idleJs = ['-e', "console.log('{}'); setInterval(() => {}, 1 << 30);"];
    // Warm the page cache first.
    await timeToExit(['-e', '0'], dir);
    await timeToExit(['exit.ts'], dir);
    const nodeExitMs: number[] = [];
    const tsExitMs: number[] = [];
    for (let i = 0; i < FLOOR_ROUNDS; i++) {
      nodeExitMs.push(await timeToExit(['-e', '0'], dir));
      tsExitMs.push(await timeToExit(['exit.ts'], dir));
    }
    const node: Memory[] = [];
    const nodeOnTs: Memory[] = [];
    for (let i = 0; i < IDLE_FLOOR_ROUNDS; i++) {
      // Two idle processes side by side: their RSS does not depend on each other.
      const [js, ts] = await Promise.all([
        idleProbe(idleJs, dir, baseEnv()),
        idleProbe(['idle.ts'], dir, baseEnv()),
      ]);
      node.push(js.idle);
      nodeOnTs.push(ts.idle);
    }
    return {
      nodeExitMs: spread(nodeExitMs),
      tsExitMs: spread(tsExitMs),
      idleRssMB: { node: spread(node.map((m) => m.rssMB)), nodeOnTs: spread(nodeOnTs.map((m) => m.rssMB)) },
      rounds: {
        nodeExitMs: nodeExitMs.map((v) => round(v, 1)),
        tsExitMs: tsExitMs.map((v) => round(v, 1)),
        node,
        nodeOnTs,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The packages a service's import graph is measured by, in order; each figure excludes the ones before. */
function importSteps(service: ServiceName): string[] {
  const deps = Object.keys(
    (
      JSON.parse(readFileSync(join(repoDir, 'services', service, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      }
    ).dependencies ?? {},
  );
  return [
    'fastify',
    'mongodb',
    '@uplink/kit',
    '@uplink/store',
    ...(deps.includes('@uplink/storage') ? ['@uplink/storage'] : []),
    './src/app.ts',
  ];
}

type ImportProbe = {
  /** ms per step (fresh Node, same NODE_OPTIONS as the service), median over the rounds. */
  stepMs: Record<string, number>;
  totalMs: number;
  /** RSS the process grew by during each step (garbage not yet collected included), median. */
  stepRssMB: Record<string, number>;
  /** VmRSS 5 s after the imports, median. */
  idleRssMB: number;
  rounds: Array<{ report: Record<string, number>; idle: Memory }>;
};

async function measureImports(service: ServiceName, env: Record<string, string>): Promise<ImportProbe> {
  const steps = importSteps(service);
  const script = `
    const out = {};
    let t = performance.now();
    let rss = process.memoryUsage.rss();
    for (const m of ${JSON.stringify(steps)}) {
      await import(m);
      const now = performance.now();
      const after = process.memoryUsage.rss();
      out[m] = now - t;
      out['rss:' + m] = (after - rss) / 2 ** 20;
      t = now;
      rss = after;
    }
    console.log(JSON.stringify(out));
    setInterval(() => {}, 1 << 30);`;
  const rounds: ImportProbe['rounds'] = [];
  for (let i = 0; i < IMPORT_ROUNDS; i++) {
    rounds.push(
      await idleProbe(['--input-type=module', '-e', script], join(repoDir, 'services', service), env),
    );
  }
  const label = (s: string) => (s === './src/app.ts' ? `${service} app.ts (the rest)` : s);
  const stepRssMB = Object.fromEntries(
    steps.map((s) => [label(s), round(median(rounds.map((r) => r.report[`rss:${s}`] ?? Number.NaN)), 1)]),
  );
  const stepMs = Object.fromEntries(
    steps.map((s) => [label(s), round(median(rounds.map((r) => r.report[s] ?? Number.NaN)), 0)]),
  );
  return {
    stepMs,
    stepRssMB,
    totalMs: round(median(rounds.map((r) => steps.reduce((a, s) => a + (r.report[s] ?? 0), 0))), 0),
    idleRssMB: round(median(rounds.map((r) => r.idle.rssMB)), 1),
    rounds,
  };
}

// ---------------------------------------------------------------------------------------------
// The image
// ---------------------------------------------------------------------------------------------

type ImageInfo =
  | {
      found: true;
      image: string;
      size: string;
      id: string;
      created: string;
      base?: string;
      buildScript: string;
    }
  | { found: false; reason: string; buildScript: string };

async function imageInfo(): Promise<ImageInfo> {
  const buildScript = 'scripts/build-image.sh';
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(
      'buildah',
      ['images', '--format', '{{.Name}}:{{.Tag}} {{.Size}}|{{.ID}}|{{.CreatedAtRaw}}'],
      { timeout: 30_000 },
    ));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    return {
      found: false,
      reason:
        e.code === 'ENOENT'
          ? 'buildah is not installed'
          : `buildah images failed: ${e.stderr?.trim() || e.message}`,
      buildScript,
    };
  }
  const rows = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [nameAndSize = '', id = '', created = ''] = line.split('|');
      const space = nameAndSize.indexOf(' ');
      return { name: nameAndSize.slice(0, space), size: nameAndSize.slice(space + 1).trim(), id, created };
    });
  const image = rows.find((r) => r.name === IMAGE);
  if (!image) return { found: false, reason: `buildah lists no ${IMAGE}`, buildScript };
  const base = rows.find((r) => r.name === BASE_IMAGE);
  return {
    found: true,
    image: IMAGE,
    size: image.size,
    id: image.id,
    created: image.created,
    ...(base ? { base: `${BASE_IMAGE} ${base.size}` } : {}),
    buildScript,
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

/** A service's log lines by level and message, without the lines this benchmark wrote (one per start). */
function withoutRoundHeaders(counts: Record<string, number>): Record<string, number> {
  const key = 'non-JSON line';
  const left = (counts[key] ?? 0) - (ROUNDS + 1);
  const { [key]: _headers, ...rest } = counts;
  return left > 0 ? { ...rest, [key]: left } : rest;
}

type ServiceSummary = {
  readyMs: Spread;
  cpuAtReadyMs: number;
  idleRssMB: Spread;
  idleAnonMB: number;
  idleFileMB: number;
  peakRssMB: number;
  threads: number;
  stopMs: Spread;
  /** Rounds that did not exit 0 by themselves, or left their port open. */
  uncleanStops: number;
  childrenWhenIdle: number;
  firstStart: { readyMs: number; idleRssMB: number; stopMs: number };
  imports: Omit<ImportProbe, 'rounds'>;
  log: Record<string, number>;
};

export async function runServiceStart(): Promise<BenchResult> {
  const loadBefore = loadavg().map((l) => round(l, 2));
  log(NAME, `load average ${loadBefore.join(' ')}; starting FerretDB/PostgreSQL, nats-server and Azurite`);
  const [infra, azurite] = await Promise.all([startInfra(), startAzurite()]);
  try {
    const secretKeys = SecretBox.generateSpec('bench');
    const envs = Object.fromEntries(
      SERVICES.map((s) => [s, serviceEnv(s, infra, azurite, secretKeys)]),
    ) as Record<ServiceName, Record<string, string>>;
    for (const service of SERVICES) writeFileSync(logFileOf(service), '');

    log(NAME, 'first start of each service (not measured: indexes, streams, consumers, page cache)');
    const first: Partial<Record<ServiceName, Start>> = {};
    for (const service of SERVICES) {
      const start = await startOnce(service, 0, envs[service]);
      first[service] = start;
      log(
        NAME,
        `  ${service}: ready ${start.readyMs} ms, idle RSS ${start.idle.rssMB} MB, stop ${start.stopMs} ms`,
      );
    }

    const starts: Start[] = [];
    const loadDuring: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const order = SERVICES.map((_, i) => SERVICES[(i + r - 1) % SERVICES.length] as ServiceName);
      for (const service of order) {
        const start = await startOnce(service, r, envs[service]);
        starts.push(start);
        loadDuring.push(loadavg()[0] as number);
        log(
          NAME,
          `round ${r} ${service}: ready ${start.readyMs} ms (CPU ${start.cpuAtReadyMs} ms), idle RSS ${start.idle.rssMB} MB ` +
            `(anon ${start.idle.anonMB}, file ${start.idle.fileMB}, peak ${start.idle.hwmMB}), stop ${start.stopMs} ms ` +
            `exit ${start.exit.code ?? start.exit.signal}${start.children.length > 0 ? `, children ${JSON.stringify(start.children)}` : ''}`,
        );
      }
    }

    log(NAME, 'floor: node -e 0 and idle Node');
    const floor = await measureFloor();
    log(
      NAME,
      `  node -e 0 ${floor.nodeExitMs.median} ms, node on a .ts file ${floor.tsExitMs.median} ms; ` +
        `idle RSS ${floor.idleRssMB.node.median} MB, on a .ts file ${floor.idleRssMB.nodeOnTs.median} MB`,
    );

    const imports: Partial<Record<ServiceName, ImportProbe>> = {};
    for (const service of SERVICES) {
      const { NODE_OPTIONS } = envs[service];
      const probe = await measureImports(service, {
        ...baseEnv(),
        ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}),
      });
      imports[service] = probe;
      log(
        NAME,
        `imports ${service}: ${probe.totalMs} ms, idle RSS ${probe.idleRssMB} MB; ms ${JSON.stringify(probe.stepMs)}; MB ${JSON.stringify(probe.stepRssMB)}`,
      );
    }

    const image = await imageInfo();
    log(NAME, image.found ? `image ${image.image}: ${image.size}` : `image: ${image.reason}`);

    const services = Object.fromEntries(
      SERVICES.map((service) => {
        const mine = starts.filter((s) => s.service === service);
        const f = first[service] as Start;
        const { rounds: _rounds, ...probe } = imports[service] as ImportProbe;
        const summary: ServiceSummary = {
          readyMs: spread(mine.map((s) => s.readyMs)),
          cpuAtReadyMs: round(median(mine.map((s) => s.cpuAtReadyMs)), 0),
          idleRssMB: spread(mine.map((s) => s.idle.rssMB)),
          idleAnonMB: round(median(mine.map((s) => s.idle.anonMB)), 1),
          idleFileMB: round(median(mine.map((s) => s.idle.fileMB)), 1),
          peakRssMB: round(median(mine.map((s) => s.idle.hwmMB)), 1),
          threads: median(mine.map((s) => s.idle.threads)),
          stopMs: spread(mine.map((s) => s.stopMs)),
          uncleanStops: mine.filter((s) => s.exit.code !== 0 || s.killed || s.portOpenAfterStop).length,
          childrenWhenIdle: mine.reduce((a, s) => a + s.children.length, 0),
          firstStart: { readyMs: f.readyMs, idleRssMB: f.idle.rssMB, stopMs: f.stopMs },
          imports: probe,
          log: withoutRoundHeaders(summarizeLog(logFileOf(service))),
        };
        return [service, summary];
      }),
    ) as Record<ServiceName, ServiceSummary>;

    const unclean = SERVICES.reduce((a, s) => a + services[s].uncleanStops, 0);
    const loadAfter = loadavg().map((l) => round(l, 2));
    const table = SERVICES.map(
      (s) =>
        `${s} ${services[s].readyMs.median} ms / ${services[s].idleRssMB.median} MB / stop ${services[s].stopMs.median} ms`,
    ).join('; ');
    return {
      name: NAME,
      headline:
        `${NAME}: ready / idle RSS / stop, median of ${ROUNDS}: ${table}; ` +
        `floor node -e 0 ${floor.nodeExitMs.median} ms, ${floor.idleRssMB.node.median} MB; ` +
        `image ${image.found ? `${image.image} ${image.size}` : `none (${image.reason})`}; unclean stops ${unclean}`,
      passed: unclean === 0,
      loadAvg: { before: loadBefore, after: loadAfter, oneMinuteDuringRounds: spread(loadDuring, 2) },
      settings: {
        rounds: ROUNDS,
        pollMs: POLL_MS,
        idleWaitMs: IDLE_WAIT_MS,
        database: infra.mongo.kind,
        noteRelayNodeOptions: NOTE_RELAY_NODE_OPTIONS,
      },
      services,
      floor,
      image,
      firstStarts: first,
      starts,
      imports,
    };
  } finally {
    await Promise.allSettled([infra.stop(), azurite.stop()]);
  }
}

if (import.meta.main) {
  const m = machine();
  console.log(`bench: ${NAME} on ${m.cpus} x ${m.cpuModel}, ${m.memGiB} GiB, Node ${m.node}`);
  const result = await runServiceStart();
  const file = await writeResult(result);
  console.log(`${result.passed ? 'PASS' : 'FAIL'}  ${result.headline}\n      -> ${file}`);
}

// Shared pieces of the benchmarks: real servers, child processes, statistics, result files.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsMsg } from '@nats-io/jetstream';
import { STREAM_NAME } from '../../packages/contracts/src/index.ts';
import {
  ensureBinaries,
  freePort,
  type MongoServer,
  type NatsServer,
  startMongo,
  startNats,
} from '../../packages/dev-servers/src/index.ts';
import type { NatsEventBus } from '../../packages/event-bus/src/nats.ts';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export type Infra = { mongo: MongoServer; nats: NatsServer; stop(): Promise<void> };

/** One MongoDB-wire server and one nats-server (JetStream), both real, on loopback. */
/**
 * FerretDB's SQLite backend scans the whole collection on every lookup by _id and serialises
 * writers, so benchmarks default to its PostgreSQL backend (real indexes, concurrent writers),
 * the closest to a production MongoDB this machine can run. MONGODB_URI (a real MongoDB) or
 * UPLINK_FERRETDB_BACKEND=sqlite override it.
 */
const BENCH_BACKEND = process.env.UPLINK_FERRETDB_BACKEND === 'sqlite' ? 'sqlite' : 'postgresql';

export async function startInfra(): Promise<Infra> {
  await ensureBinaries({
    chromium: false,
    firefox: false,
    webkit: false,
    clamd: false,
    helm: false,
    schemathesis: false,
  });
  const [mongo, nats] = await Promise.all([startMongo({ backend: BENCH_BACKEND }), startNats()]);
  return {
    mongo,
    nats,
    async stop() {
      await Promise.allSettled([mongo.stop(), nats.stop()]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes. A child is a .ts entry under bench/lib/children that talks over IPC:
//   child -> parent  { type: 'ready', ...info }            once it serves
//   parent -> child  { type: 'stop' }
//   child -> parent  { type: 'stats', ...counters }         at once (a snapshot)
//   child -> parent  { type: 'stopped' }                     then it exits
// Its stdout and stderr (JSON logs) go to bench/results/<run>-<name>.log.
// ---------------------------------------------------------------------------------------------

export type ChildMessage = { type: string; [key: string]: unknown };

export type BenchChild = {
  name: string;
  pid: number;
  ready: ChildMessage;
  logFile: string;
  /**
   * Asks the child to shut down cleanly (SIGKILL after 20 s); resolves with the counters it
   * reported when asked.
   */
  stop(): Promise<ChildMessage | undefined>;
};

export async function startChild(
  name: string,
  entry: string,
  env: Record<string, string>,
  opts: { execArgv?: string[]; readyTimeoutMs?: number; run?: string } = {},
): Promise<BenchChild> {
  const logFile = join(benchDir, 'results', `${opts.run ?? 'bench'}-${name}.log`);
  await mkdir(dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = fork(join(benchDir, 'lib', 'children', entry), [], {
      env: { ...process.env, ...env },
      execArgv: [...process.execArgv, ...(opts.execArgv ?? [])],
      stdio: ['ignore', logFd, logFd, 'ipc'],
    });
  } finally {
    closeSync(logFd);
  }
  const messages: ChildMessage[] = [];
  const waiters: Array<() => void> = [];
  let exited = false;
  child.on('message', (m) => {
    messages.push(m as ChildMessage);
    for (const w of waiters.splice(0)) w();
  });
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      for (const w of waiters.splice(0)) w();
      resolve();
    }),
  );
  const next = async (type: string, timeoutMs: number): Promise<ChildMessage | undefined> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = messages.find((m) => m.type === type);
      if (found) return found;
      if (exited || Date.now() > deadline) return undefined;
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200).unref();
      });
    }
  };
  const ready = await next('ready', opts.readyTimeoutMs ?? 60_000);
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(
      `${name}: child did not report ready (${exited ? 'it exited' : 'timed out'}); see ${logFile}`,
    );
  }
  return {
    name,
    pid: child.pid ?? -1,
    ready,
    logFile,
    async stop() {
      if (!exited) {
        child.send({ type: 'stop' });
        await next('stats', 10_000);
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exit;
        clearTimeout(timer);
      }
      return messages.find((m) => m.type === 'stats');
    },
  };
}

/**
 * Spawns `node <args>` with `env` (exactly: nothing inherited that `env` does not hold), its
 * output in `logFile`, and waits until `http://127.0.0.1:<port>/readyz` answers 200. `stop()`
 * sends `stopSignal` (its graceful shutdown) and waits for the exit, SIGKILL after 20 s; `kill()`
 * sends SIGKILL at once.
 */
export async function startReadyProcess(opts: {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  logFile: string;
  readyTimeoutMs?: number;
  stopSignal?: NodeJS.Signals;
}): Promise<BenchChild & { kill(): Promise<void> }> {
  const { name, port, logFile } = opts;
  await mkdir(dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, opts.args, { env: opts.env, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name}: not ready (${exited ? 'it exited' : 'timed out'}); see ${logFile}`);
    }
    await sleep(100);
  }
  return {
    name,
    pid: child.pid ?? -1,
    ready: { type: 'ready', port },
    logFile,
    async stop() {
      if (!exited) {
        child.kill(opts.stopSignal ?? 'SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exit;
        clearTimeout(timer);
      }
      return undefined;
    },
    /** `kill -9`: no shutdown at all; resolves once it has exited. */
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
  };
}

/**
 * Runs a service exactly as it is deployed: its own `main.ts` in a child process, configured by
 * environment variables, ready when `/readyz` answers 200, stopped with SIGTERM (its graceful
 * shutdown).
 */
export async function startService(
  name: string,
  service: 'link-service' | 'expiry-scheduler' | 'upload-gateway' | 'note-relay',
  env: Record<string, string>,
  opts: { execArgv?: string[]; readyTimeoutMs?: number; run?: string } = {},
): Promise<BenchChild> {
  const port = await freePort();
  return startReadyProcess({
    name,
    args: [...(opts.execArgv ?? []), join(benchDir, '..', 'services', service, 'src', 'main.ts')],
    // No load balancer to wait for: SIGTERM goes straight to the shutdown phases.
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    port,
    logFile: join(benchDir, 'results', `${opts.run ?? 'bench'}-${name}.log`),
    ...(opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
  });
}

/** In a child: reports ready; when asked to stop, sends `stats()` at once, then runs `stop`. */
export function childLifecycle(
  ready: Record<string, unknown>,
  stop: () => Promise<void>,
  stats: () => Record<string, unknown> = () => ({}),
): void {
  let stopping = false;
  process.on('message', (m: ChildMessage) => {
    if (m.type !== 'stop' || stopping) return;
    stopping = true;
    process.send?.({ type: 'stats', ...stats() });
    void stop()
      .then(
        () => process.send?.({ type: 'stopped' }),
        (err: Error) => process.send?.({ type: 'stopped', error: err.message }),
      )
      .finally(() => {
        process.disconnect?.();
        // Let stdout flush, then leave even if a handle lingers.
        setTimeout(() => process.exit(0), 200);
      });
  });
  // Parent gone: nothing left to serve.
  process.on('disconnect', () => {
    if (!stopping) process.exit(1);
  });
  process.send?.({ type: 'ready', ...ready });
}

// ---------------------------------------------------------------------------------------------
// Stream reading
// ---------------------------------------------------------------------------------------------

/**
 * Reads a subject's messages from the start of the stream with an ordered consumer, handing each
 * to `onMessage`, until `done()` says so or the deadline passes.
 */
export async function readSubject(
  bus: NatsEventBus,
  subject: string,
  onMessage: (msg: JsMsg) => void,
  done: () => boolean,
  deadline: number,
): Promise<void> {
  const consumer = await bus.js.consumers.get(STREAM_NAME, { filter_subjects: [subject] });
  const messages = await consumer.consume({ max_messages: 1_000 });
  const timer = setInterval(() => {
    if (done() || Date.now() > deadline) messages.stop();
  }, 100);
  try {
    for await (const msg of messages) {
      onMessage(msg);
      if (done() || Date.now() > deadline) break;
    }
  } finally {
    clearInterval(timer);
    messages.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** The median of `values` (nearest rank), to 0.1. */
export const median = (values: readonly number[]): number =>
  round(
    percentile(
      [...values].sort((a, b) => a - b),
      50,
    ),
    1,
  );

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** POSTs `body` as JSON (nothing when undefined); throws unless the answer is `expected`. */
export async function postJson(url: string, body: unknown, expected: number): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status !== expected) {
    const where = url.replace(/\/u\/[^/]+/, '/u/<token>');
    throw new Error(`POST ${where} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return JSON.parse(text) as unknown;
}

export function machine() {
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memGiB: round(totalmem() / 2 ** 30, 1),
    platform: `${process.platform}-${process.arch}`,
  };
}

export type BenchResult = {
  name: string;
  /** One line for the summary. */
  headline: string;
  passed: boolean;
  [key: string]: unknown;
};

export async function writeResult(result: BenchResult): Promise<string> {
  const dir = join(benchDir, 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${result.name}.json`);
  await writeFile(
    file,
    `${JSON.stringify({ ...result, finishedAt: new Date().toISOString(), machine: machine() }, null, 2)}\n`,
  );
  return file;
}

export function log(name: string, message: string): void {
  process.stdout.write(`[${name}] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): where the time of a run went, per process.
// ---------------------------------------------------------------------------------------------

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU time a process has used so far, in ms (undefined when unreadable). */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The pid of the first process whose command line contains every one of `parts`. */
export function findPid(...parts: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((p) => cmdline.includes(p))) return Number(entry);
    } catch {
      // The process ended meanwhile.
    }
  }
  return undefined;
}

/** The pids of the MongoDB-wire server and nats-server of `infra` (for CPU accounting). */
export function infraPids(infra: Infra): Record<string, number> {
  const pids: Record<string, number> = {};
  const mongoPort = new URL(infra.mongo.uri).port;
  const mongo = findPid(`127.0.0.1:${mongoPort}`) ?? findPid('--port', mongoPort);
  if (mongo !== undefined) pids[infra.mongo.kind] = mongo;
  const nats = findPid('-p', String(infra.nats.port), '-js');
  if (nats !== undefined) pids['nats-server'] = nats;
  return pids;
}

/** Snapshots CPU time of `pids`; `since()` gives the ms each used after the snapshot. */
export function cpuMeter(pids: Record<string, number>) {
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid) ?? 0]));
  return {
    since(): Record<string, number> {
      return Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => [name, (cpuMs(pid) ?? 0) - (start[name] ?? 0)]),
      );
    },
  };
}

/** Counts a child's JSON log lines by level and message (what went wrong, how often). */
export function summarizeLog(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return counts;
  }
  const levels: Record<number, string> = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let key = 'non-JSON line';
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      key = `${levels[entry.level ?? 0] ?? entry.level}: ${entry.msg ?? ''}`;
    } catch {
      // stays 'non-JSON line'
    }
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

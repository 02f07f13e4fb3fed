// Benchmark: `npm start` on a warm machine. `npm start` runs all of Uplink in one Node process
// (scripts/start.ts → startUplink): the four services on the embedded adapters, an SQLite session
// store, the SQLite event bus and Azurite in process, with its data in UPLINK_DATA_DIR.
//
// Measured, per round:
// - the time from spawning `npm start` to "Uplink is ready." printed and to every service's
//   /readyz answering 200 (target: ready <= 10 s);
// - where that time goes: when each launcher and the Uplink process started (from /proc), and
//   the offset of each of Uplink's own log lines;
// - the idle RSS of the Uplink process 5 s after ready, and apart from it that of the launchers
//   (npm, `sh -c`, scripts/toolchain.mjs), which a deployment would not run;
// - the graceful stop: SIGINT to its process group, as Ctrl-C does, until every process is gone;
//   anything left is counted, then killed, and every port it listened on must be closed again.
//
// It runs `npm start` as a developer would, through npm and the toolchain launcher, in its own
// process group, with no MONGODB_URI / NATS_URL / AZURE_STORAGE_CONNECTION_STRING, a temp
// UPLINK_DATA_DIR and free ports for the four services and Azurite. A first, unmeasured run
// initialises the data dir (secrets, demo tenant, SQLite files, Azurite's folders), so the
// measured rounds start as on a warm machine. Then, apart from the rounds, the time to import
// the module graph start.ts loads, package by package, in a fresh Node.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { embeddedUplinkEnv } from '@uplink/testing';
import { type BenchResult, benchDir, log, round, sleep } from './lib/common.ts';

const NAME = 'start-time';
const ROUNDS = 5;
const TARGET_MS = 10_000;
const IDLE_WAIT_MS = 5_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const IMPORT_RUNS = 3;
const BANNER = 'Uplink is ready.';
const UPLINK_ROLE = 'uplink (scripts/start.ts)';
/** Linux's USER_HZ: /proc start times are in these ticks. */
const CLOCK_TICKS_PER_SECOND = 100;

type ProcessInfo = {
  pid: number;
  role: string;
  rssMB: number;
  /** ms after the `npm` process started (10 ms resolution). */
  startedMs: number;
};

type LogLine = { ms: number; service: string; msg: string };

type Round = {
  round: number;
  warm: boolean;
  bannerMs: number;
  allReadyMs: number;
  /** ms after spawn at which each service's /readyz first answered 200 (polled every 50 ms). */
  readyMs: Record<string, number>;
  /** Spawn → Uplink process started → its first log line → banner → all /readyz 200. */
  phasesMs: { launchers: number; bootToFirstLog: number; firstLogToBanner: number; bannerToAllReady: number };
  /** Uplink's log lines up to the banner, ms after spawn. */
  log: LogLine[];
  processes: ProcessInfo[];
  /** Processes that had exited but were not reaped, 5 s after ready (RSS 0). */
  zombies: string[];
  rssMB: { uplink: number; launchers: number; other: number };
  stopMs: number;
  exit: { code: number | null; signal: string | null };
  leftovers: number[];
  portsOpenAfterStop: number[];
};

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The fields of /proc/<pid>/stat after the command name, which may hold spaces. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** ppid of every process, from /proc. */
function parentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields) parents.set(Number(entry), Number(fields[1]));
  }
  return parents;
}

function descendants(root: number): number[] {
  const parents = parentMap();
  const found = [root];
  for (let i = 0; i < found.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === found[i]) found.push(pid);
  }
  return found;
}

function zombie(pid: number): boolean {
  return statFields(pid)?.[0] === 'Z';
}

function alive(pid: number): boolean {
  const fields = statFields(pid);
  return fields !== undefined && fields[0] !== 'Z';
}

/** When the process started, in clock ticks since boot. */
function startTicks(pid: number): number {
  return Number(statFields(pid)?.[19] ?? Number.NaN);
}

function rssMB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** What a process is, from its command line. */
function role(pid: number): string {
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return 'gone';
  }
  if (zombie(pid)) {
    const comm = /\(([^)]*)\)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '?';
    return `zombie: ${comm}`;
  }
  const service = /services\/([a-z-]+)\/src\/main\.ts/.exec(cmd);
  if (service) return service[1] as string;
  if (/^(\/bin\/|\/usr\/bin\/)?sh -c/.test(cmd)) return 'launcher: sh -c (npm script)';
  if (cmd.includes('toolchain.mjs')) return 'launcher: scripts/toolchain.mjs';
  if (cmd.includes('scripts/start.ts')) return UPLINK_ROLE;
  if (/\bnpm\b|npm-cli/.test(cmd)) return 'launcher: npm';
  if (cmd.includes('esbuild')) return 'esbuild';
  if (cmd.includes('nats-server')) return 'nats-server';
  if (cmd.includes('ferretdb')) return 'ferretdb';
  if (cmd.includes('azurite')) return 'azurite';
  if (cmd.includes('postgres')) return 'postgres';
  return cmd.slice(0, 80);
}

async function readyz(port: string): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

async function oneRound(roundNo: number, warm: boolean, dataDir: string): Promise<Round> {
  // As a developer's shell would have it: no external servers, the defaults for everything else.
  const env: NodeJS.ProcessEnv = {
    ...(await embeddedUplinkEnv()),
    UPLINK_DATA_DIR: dataDir,
    npm_config_update_notifier: 'false',
  };
  const ports = {
    'link-service': env.LINK_SERVICE_PORT as string,
    'upload-gateway': env.UPLOAD_GATEWAY_PORT as string,
    'note-relay': env.NOTE_RELAY_PORT as string,
    'expiry-scheduler': env.EXPIRY_SCHEDULER_PORT as string,
  };
  const azuritePort = env.AZURITE_BLOB_PORT as string;
  const logFile = join(benchDir, 'results', `${NAME}-round${roundNo}.log`);
  // A fresh checkout has no results folder yet.
  await mkdir(join(benchDir, 'results'), { recursive: true });
  const out = createWriteStream(logFile);
  const t0 = performance.now();
  const spawnedAt = Date.now();
  // Its own process group, so SIGINT reaches every process as Ctrl-C in a terminal would.
  const child: ChildProcess = spawn('npm', ['start', '--silent'], {
    cwd: join(benchDir, '..'),
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid as number;
  const npmStart = startTicks(pgid);
  let bannerMs = Number.NaN;
  let exited = false;
  let exitStatus: Round['exit'] = { code: null, signal: null };
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      exitStatus = { code, signal };
      resolve();
    }),
  );
  const logLines: LogLine[] = [];
  const reader = () => {
    let partial = '';
    return (chunk: Buffer) => {
      out.write(chunk);
      const receivedMs = performance.now() - t0;
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (Number.isNaN(bannerMs) && line.includes(BANNER)) bannerMs = receivedMs;
        if (!Number.isNaN(bannerMs) || !line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { time?: string; service?: string; msg?: string };
          if (entry.time && entry.msg) {
            logLines.push({
              ms: Date.parse(entry.time) - spawnedAt,
              service: entry.service ?? '?',
              msg: entry.msg,
            });
          }
        } catch {
          // not a log line
        }
      }
    };
  };
  child.stdout?.on('data', reader());
  child.stderr?.on('data', reader());

  const readyMs: Record<string, number> = {};
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (Number.isNaN(bannerMs) || Object.keys(readyMs).length < Object.keys(ports).length) {
      if (exited) throw new Error(`npm start exited before ready; see ${logFile}`);
      if (Date.now() > deadline)
        throw new Error(`npm start not ready in ${READY_TIMEOUT_MS} ms; see ${logFile}`);
      await Promise.all(
        Object.entries(ports).map(async ([name, port]) => {
          if (readyMs[name] === undefined && (await readyz(port))) readyMs[name] = performance.now() - t0;
        }),
      );
      await sleep(50);
    }
    const allReadyMs = Math.max(bannerMs, ...Object.values(readyMs));

    await sleep(IDLE_WAIT_MS);
    const pids = descendants(pgid);
    const processes = pids
      .map((pid) => ({
        pid,
        role: role(pid),
        rssMB: round(rssMB(pid), 1),
        startedMs: ((startTicks(pid) - npmStart) * 1000) / CLOCK_TICKS_PER_SECOND,
      }))
      .filter((p) => p.role !== 'gone');
    const sum = (filter: (p: ProcessInfo) => boolean) =>
      round(
        processes.filter(filter).reduce((a, p) => a + p.rssMB, 0),
        1,
      );
    const uplink = processes.find((p) => p.role === UPLINK_ROLE);
    if (!uplink) throw new Error(`no ${UPLINK_ROLE} process under npm start`);
    const firstLogMs = logLines[0]?.ms ?? Number.NaN;

    const stopStart = performance.now();
    process.kill(-pgid, 'SIGINT');
    const stopDeadline = Date.now() + STOP_TIMEOUT_MS;
    while ((!exited || pids.some(alive)) && Date.now() < stopDeadline) await sleep(20);
    const stopMs = performance.now() - stopStart;
    const leftovers = pids.filter(alive);
    killAll(leftovers);
    await exit;
    const portsOpenAfterStop: number[] = [];
    for (const port of [...Object.values(ports), azuritePort]) {
      if (await portInUse(Number(port))) portsOpenAfterStop.push(Number(port));
    }
    return {
      round: roundNo,
      warm,
      bannerMs: round(bannerMs, 0),
      allReadyMs: round(allReadyMs, 0),
      readyMs: Object.fromEntries(Object.entries(readyMs).map(([k, v]) => [k, round(v, 0)])),
      phasesMs: {
        launchers: uplink.startedMs,
        bootToFirstLog: round(firstLogMs - uplink.startedMs, 0),
        firstLogToBanner: round(bannerMs - firstLogMs, 0),
        bannerToAllReady: round(allReadyMs - bannerMs, 0),
      },
      log: logLines,
      processes,
      zombies: processes.filter((p) => p.role.startsWith('zombie')).map((p) => p.role),
      rssMB: {
        uplink: uplink.rssMB,
        launchers: sum((p) => p.role.startsWith('launcher')),
        other: sum((p) => p !== uplink && !p.role.startsWith('launcher')),
      },
      stopMs: round(stopMs, 0),
      exit: exitStatus,
      leftovers,
      portsOpenAfterStop,
    };
  } catch (err) {
    // Leave nothing behind.
    const pids = descendants(pgid);
    try {
      process.kill(-pgid, 'SIGINT');
    } catch {
      // already gone
    }
    await sleep(5_000);
    killAll(pids.filter(alive));
    throw err;
  } finally {
    out.end();
  }
}

/**
 * ms to import, in a fresh Node, each package start.ts loads, in dependency order (a package's
 * figure leaves out what the ones before it already loaded). The Node running this benchmark is
 * the one the launcher runs Uplink on.
 */
async function importTimes(): Promise<Record<string, number>> {
  const modules = [
    '@uplink/kit',
    '@uplink/store',
    '@uplink/dev-servers',
    '@uplink/link-service',
    '@uplink/upload-gateway',
    '@uplink/note-relay',
    '@uplink/expiry-scheduler',
    './src/index.ts',
  ];
  const script = `
    const out = { 'node boot': performance.now() };
    let t = performance.now();
    for (const m of ${JSON.stringify(modules)}) {
      await import(m);
      const now = performance.now();
      out[m === './src/index.ts' ? '@uplink/embedded' : m] = now - t;
      t = now;
    }
    console.log(JSON.stringify(out));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    // Where the packages resolve as they do for @uplink/embedded.
    cwd: join(benchDir, '..', 'packages', 'embedded'),
  });
  return JSON.parse(stdout) as Record<string, number>;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

export async function runStartTime(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'uplink-start-time-'));
  try {
    log(NAME, `first run initialises ${dataDir} (not measured)`);
    const cold = await oneRound(0, false, dataDir);
    log(NAME, `first run: banner ${cold.bannerMs} ms, all ready ${cold.allReadyMs} ms`);
    const rounds: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const result = await oneRound(r, true, dataDir);
      rounds.push(result);
      const p = result.phasesMs;
      log(
        NAME,
        `round ${r}: banner ${result.bannerMs} ms, all ready ${result.allReadyMs} ms ` +
          `(launchers ${p.launchers}, boot to first log ${p.bootToFirstLog}, then to banner ${p.firstLogToBanner}); ` +
          `Uplink RSS ${result.rssMB.uplink} MB, launchers ${result.rssMB.launchers} MB; ` +
          `stopped in ${result.stopMs} ms, leftovers ${result.leftovers.length}, ` +
          `ports open after stop ${result.portsOpenAfterStop.length}, zombies ${result.zombies.length}`,
      );
    }
    const imports: Array<Record<string, number>> = [];
    for (let i = 0; i < IMPORT_RUNS; i++) imports.push(await importTimes());
    const importMedianMs = Object.fromEntries(
      Object.keys(imports[0] ?? {}).map((m) => [
        m,
        round(median(imports.map((run) => run[m] ?? Number.NaN)), 0),
      ]),
    );
    log(NAME, `imports (median of ${IMPORT_RUNS}, ms): ${JSON.stringify(importMedianMs)}`);

    const all = [cold, ...rounds];
    const readyMedian = median(rounds.map((r) => r.allReadyMs));
    const rssUplink = median(rounds.map((r) => r.rssMB.uplink));
    const rssLaunchers = median(rounds.map((r) => r.rssMB.launchers));
    const stopMedian = median(rounds.map((r) => r.stopMs));
    const leftovers = all.reduce((a, r) => a + r.leftovers.length, 0);
    const portsOpen = all.reduce((a, r) => a + r.portsOpenAfterStop.length, 0);
    const phase = (key: keyof Round['phasesMs']) => median(rounds.map((r) => r.phasesMs[key]));
    const launchersByRole: Record<string, number> = {};
    for (const p of rounds[Math.floor(rounds.length / 2)]?.processes ?? []) {
      if (p.role.startsWith('launcher'))
        launchersByRole[p.role] = round((launchersByRole[p.role] ?? 0) + p.rssMB, 1);
    }
    const passed = readyMedian <= TARGET_MS && leftovers === 0 && portsOpen === 0;
    return {
      name: NAME,
      headline:
        `${NAME}: ready in ${(readyMedian / 1000).toFixed(2)} s (median of ${ROUNDS}, target <= 10 s; ` +
        `rounds ${rounds.map((r) => (r.allReadyMs / 1000).toFixed(2)).join(', ')} s), ` +
        `idle RSS Uplink ${rssUplink} MB + launchers ${rssLaunchers} MB, ` +
        `stop ${stopMedian} ms, leftovers ${leftovers}, ports left open ${portsOpen}`,
      passed,
      loadAvg: loadavg().map((l) => round(l, 2)),
      targetMs: TARGET_MS,
      readyMedianMs: readyMedian,
      bannerMedianMs: median(rounds.map((r) => r.bannerMs)),
      phasesMedianMs: {
        launchers: phase('launchers'),
        bootToFirstLog: phase('bootToFirstLog'),
        firstLogToBanner: phase('firstLogToBanner'),
        bannerToAllReady: phase('bannerToAllReady'),
      },
      importMedianMs,
      idleRssUplinkMedianMB: rssUplink,
      idleRssLaunchersMedianMB: rssLaunchers,
      idleRssLaunchersByRoleMB: launchersByRole,
      stopMedianMs: stopMedian,
      leftovers,
      portsOpenAfterStop: portsOpen,
      cold,
      rounds,
      imports,
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

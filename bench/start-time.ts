// Benchmark: `npm start` on a warm machine. Time from spawn to "Uplink is running" printed and
// every service's /readyz answering 200, then the idle RSS of every process it runs (services,
// servers, launchers) 5 s after ready. Stopped with SIGINT to its process group, as Ctrl-C does;
// every process must be gone afterwards.
//
// `npm start` today starts nats-server, FerretDB and Azurite, then one process per service. The
// target (ready <= 10 s) was written for a single-process embedded mode that does not exist yet;
// this measures what exists.
//
// A first, unmeasured run initialises the data dir (a temp UPLINK_DATA_DIR), so the measured
// rounds find the binaries built and the data dir ready, as on a warm machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../packages/dev-servers/src/index.ts';
import { type BenchResult, benchDir, log, round, sleep } from './lib/common.ts';

const NAME = 'start-time';
const ROUNDS = 3;
const TARGET_MS = 10_000;
const IDLE_WAIT_MS = 5_000;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const AZURITE_PORT = 10_000;
const BANNER = 'Uplink is running';

type ProcessRss = { pid: number; role: string; rssMB: number };

type Round = {
  round: number;
  warm: boolean;
  bannerMs: number;
  allReadyMs: number;
  /** ms after spawn at which each service's /readyz first answered 200 (polled every 50 ms). */
  readyMs: Record<string, number>;
  processes: ProcessRss[];
  rssMB: { total: number; servicesAndServers: number; launchers: number };
  stopMs: number;
  leftovers: number[];
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

/** ppid of every process, from /proc. */
function parentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // ended meanwhile
    }
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

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
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
  const service = /services\/([a-z-]+)\/src\/main\.ts/.exec(cmd);
  if (service) return service[1] as string;
  if (/^(\/bin\/|\/usr\/bin\/)?sh -c/.test(cmd)) return 'launcher: sh -c (npm script)';
  if (cmd.includes('toolchain.mjs')) return 'launcher: scripts/toolchain.mjs';
  if (cmd.includes('scripts/start.ts')) return 'launcher: scripts/start.ts';
  if (/\bnpm\b|npm-cli/.test(cmd)) return 'launcher: npm';
  if (cmd.includes('dev-servers watchdog')) return 'launcher: dev-servers watchdog';
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

async function oneRound(roundNo: number, warm: boolean, dataDir: string): Promise<Round> {
  const ports = {
    'link-service': String(await freePort()),
    'upload-gateway': String(await freePort()),
    'note-relay': String(await freePort()),
    'expiry-scheduler': String(await freePort()),
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    UPLINK_DATA_DIR: dataDir,
    LINK_SERVICE_PORT: ports['link-service'],
    UPLOAD_GATEWAY_PORT: ports['upload-gateway'],
    NOTE_RELAY_PORT: ports['note-relay'],
    EXPIRY_SCHEDULER_PORT: ports['expiry-scheduler'],
    npm_config_update_notifier: 'false',
  };
  // As a developer's shell would have it: no external servers, FerretDB's default backend.
  for (const key of [
    'MONGODB_URI',
    'NATS_URL',
    'AZURE_STORAGE_CONNECTION_STRING',
    'UPLINK_FERRETDB_BACKEND',
    'UPLINK_BOOTSTRAP_API_KEY',
    'UPLINK_SECRET_KEYS',
    'PORT',
    'NODE_OPTIONS',
  ]) {
    delete env[key];
  }
  const logFile = join(benchDir, 'results', `${NAME}-round${roundNo}.log`);
  const out = createWriteStream(logFile);
  const t0 = performance.now();
  // Its own process group, so SIGINT reaches every process as Ctrl-C in a terminal would.
  const child: ChildProcess = spawn('npm', ['start', '--silent'], {
    cwd: join(benchDir, '..'),
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid as number;
  let bannerMs = Number.NaN;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out.write(chunk);
    if (Number.isNaN(bannerMs)) {
      text += chunk.toString('utf8');
      if (text.includes(BANNER)) bannerMs = performance.now() - t0;
      else text = text.slice(-BANNER.length);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => out.write(chunk));

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
    const parents = parentMap();
    const processes = pids
      .map((pid) => {
        let name = role(pid);
        // A helper process counts with the service that started it.
        if (name === 'esbuild') name = `${role(parents.get(pid) ?? 0)} (esbuild child)`;
        return { pid, role: name, rssMB: round(rssMB(pid), 1) };
      })
      .filter((p) => p.role !== 'gone');
    const total = processes.reduce((a, p) => a + p.rssMB, 0);
    const launchers = processes.filter((p) => p.role.startsWith('launcher')).reduce((a, p) => a + p.rssMB, 0);

    const stopStart = performance.now();
    process.kill(-pgid, 'SIGINT');
    const stopDeadline = Date.now() + STOP_TIMEOUT_MS;
    while ((!exited || pids.some(alive)) && Date.now() < stopDeadline) await sleep(50);
    const stopMs = performance.now() - stopStart;
    const leftovers = pids.filter(alive);
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await exit;
    return {
      round: roundNo,
      warm,
      bannerMs: round(bannerMs, 0),
      allReadyMs: round(allReadyMs, 0),
      readyMs: Object.fromEntries(Object.entries(readyMs).map(([k, v]) => [k, round(v, 0)])),
      processes,
      rssMB: {
        total: round(total, 1),
        servicesAndServers: round(total - launchers, 1),
        launchers: round(launchers, 1),
      },
      stopMs: round(stopMs, 0),
      leftovers,
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
    for (const pid of pids.filter(alive)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    throw err;
  } finally {
    out.end();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

export async function runStartTime(): Promise<BenchResult> {
  if (await portInUse(AZURITE_PORT)) {
    throw new Error(`port ${AZURITE_PORT} is taken; scripts/start.ts always runs Azurite there`);
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'uplink-start-time-'));
  try {
    log(NAME, `first run initialises ${dataDir} (not measured)`);
    const cold = await oneRound(0, false, dataDir);
    log(NAME, `cold: banner ${cold.bannerMs} ms, all ready ${cold.allReadyMs} ms`);
    const rounds: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const result = await oneRound(r, true, dataDir);
      rounds.push(result);
      log(
        NAME,
        `round ${r}: banner ${result.bannerMs} ms, all ready ${result.allReadyMs} ms, RSS ${result.rssMB.total} MB ` +
          `(${result.processes.length} processes; services and servers ${result.rssMB.servicesAndServers} MB), ` +
          `stopped in ${result.stopMs} ms, leftovers ${result.leftovers.length}`,
      );
    }
    const readyMedian = median(rounds.map((r) => r.allReadyMs));
    const rssMedian = median(rounds.map((r) => r.rssMB.total));
    const rssServices = median(rounds.map((r) => r.rssMB.servicesAndServers));
    const leftovers = rounds.reduce((a, r) => a + r.leftovers.length, 0) + cold.leftovers.length;
    const byRole: Record<string, number> = {};
    for (const p of rounds[Math.floor(rounds.length / 2)]?.processes ?? []) {
      byRole[p.role] = round((byRole[p.role] ?? 0) + p.rssMB, 1);
    }
    const passed = readyMedian <= TARGET_MS && leftovers === 0;
    return {
      name: NAME,
      headline:
        `${NAME}: ready in ${(readyMedian / 1000).toFixed(2)} s (median of ${ROUNDS}, target <= 10 s), ` +
        `idle RSS ${rssMedian} MB summed (${rssServices} MB services and servers), leftovers ${leftovers}`,
      passed,
      loadAvg: loadavg().map((l) => round(l, 2)),
      targetMs: TARGET_MS,
      readyMedianMs: readyMedian,
      bannerMedianMs: median(rounds.map((r) => r.bannerMs)),
      idleRssMedianMB: rssMedian,
      idleRssServicesAndServersMedianMB: rssServices,
      idleRssByRoleMB: byRole,
      leftovers,
      cold,
      rounds,
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

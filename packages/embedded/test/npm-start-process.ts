// `npm start` as its own process for the tests: scripts/start.ts spawned as npm runs it, waited
// for until its "ready" banner, stopped with SIGTERM or killed with SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NPM_START_NODE_OPTIONS } from '@uplink/embedded/runtime';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const START = join(ROOT, 'scripts', 'start.ts');
const RECORD_PACKAGES = join(import.meta.dirname, 'record-packages.ts');

export type StartedUplink = {
  child: ChildProcess;
  banner: string;
  consoleUrl: string;
  apiKey: string;
  /** The tenant API's base URL, `http://…/v1`. */
  api: string;
  /** Everything it wrote to stdout and stderr so far: its logs, for a failure's diagnosis. */
  output(): string;
};

/**
 * Runs scripts/start.ts with exactly `env` (build it with `embeddedUplinkEnv`, plus
 * `UPLINK_DATA_DIR`) and waits for its "ready" banner.
 */
export async function startNpmStart(env: NodeJS.ProcessEnv): Promise<StartedUplink> {
  const reports = await mkdtemp(join(tmpdir(), 'uplink-npm-start-report-'));
  const child = spawn(
    process.execPath,
    [
      ...NPM_START_NODE_OPTIONS.split(' '),
      '--report-on-signal',
      `--report-directory=${reports}`,
      '--import',
      RECORD_PACKAGES,
      START,
    ],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    err += chunk;
  });
  const started = Date.now();
  await new Promise<void>((done, fail) => {
    const timer = setInterval(() => {
      if (out.includes('Uplink is ready.')) {
        clearInterval(timer);
        done();
      } else if (child.exitCode !== null || Date.now() - started > 60_000) {
        clearInterval(timer);
        void notReady(child, reports, `${out}\n${err}`).then(fail);
      }
    }, 50);
  });
  await rm(reports, { recursive: true, force: true });
  const line = (label: string) => new RegExp(`^ +${label} +(\\S+)`, 'm').exec(out)?.[1] ?? '';
  return {
    child,
    banner: out,
    consoleUrl: line('Console'),
    apiKey: line('Demo API key'),
    api: line('API'),
    output: () => `${out}\n${err}`,
  };
}

/**
 * Why the process did not get ready: its last output and, when it is still running, where its
 * JavaScript stands (a Node diagnostic report, asked for with SIGUSR2); then it is killed.
 */
async function notReady(child: ChildProcess, reports: string, output: string): Promise<Error> {
  let where = '';
  if (child.exitCode === null) {
    child.kill('SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const [file] = await readdir(reports);
    if (file) {
      const report = JSON.parse(await readFile(join(reports, file), 'utf8')) as {
        javascriptStack?: { stack?: string[] };
        libuv?: { type: string; is_active: boolean }[];
      };
      const active = (report.libuv ?? []).filter((handle) => handle.is_active).map((handle) => handle.type);
      where = `\nJavaScript stack: ${(report.javascriptStack?.stack ?? []).join('\n  ')}\nactive handles: ${active.join(', ')}`;
    }
    child.kill('SIGKILL');
  }
  const tail = output.trimEnd().split('\n').slice(-40).join('\n');
  await rm(reports, { recursive: true, force: true });
  const load = loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
  return new Error(
    `npm start did not get ready (exit ${child.exitCode}; load average ${load}); last output:\n${tail}${where}`,
  );
}

/**
 * A call to the started process's tenant API with its demo key, answering the parsed JSON; a
 * refusal throws with the answer and the process's last lines of output.
 */
export async function tenantApi<T>(
  uplink: StartedUplink | undefined,
  path: string,
  init: RequestInit = {},
): Promise<T> {
  if (!uplink) throw new Error('not running');
  const response = await fetch(`${uplink.api}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${uplink.apiKey}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  if (!response.ok) {
    const logs = uplink.output().trimEnd().split('\n').slice(-10).join('\n');
    throw new Error(`${path}: ${response.status} ${await response.text()}\nlast output:\n${logs}`);
  }
  return (await response.json()) as T;
}

/** Sends `signal` (SIGTERM: a graceful stop; SIGKILL: `kill -9`) and resolves with the exit code. */
export async function endNpmStart(
  child: ChildProcess | undefined,
  signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM',
): Promise<number | null> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.kill(signal);
  return exited;
}

import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { forgetDir, forgetPid, watchDir, watchPid } from './watchdog.ts';

// Servers we started and that are still running. On exit of this process they are killed
// synchronously: 'exit' listeners cannot await, and a test run must never leave servers behind.
const running = new Set<ChildProcess>();
// Temporary data directories removed once their servers are dead (after the kill above).
const tempDirs = new Set<string>();
let exitHooksInstalled = false;

function killAllSync(): void {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A server killed a moment ago may still be writing; a stray temp dir is not worth a crash.
    }
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllSync);
  // Node skips 'exit' listeners when a signal kills it. When nobody else handles the signal we
  // kill our servers and then die of the same signal as we would have; when the program has its
  // own handler it decides how to shut down and its eventual exit reaches the listener above.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) return;
      killAllSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** A fresh directory under the OS temp dir, deleted at the latest when this process exits. */
export async function createTempDir(prefix: string): Promise<string> {
  installExitHooks();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.add(dir);
  watchDir(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  tempDirs.delete(dir);
  forgetDir(dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

export interface StartProcessOptions {
  /** Short name used in error messages, e.g. "nats-server". */
  name: string;
  command: string;
  args: readonly string[];
  /** stdout and stderr of the server are appended here. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Run the server as this user and group (only possible as root), e.g. for PostgreSQL, which
   * refuses to run as root. Node switches user in the forked child itself (dropping supplementary
   * groups), so the managed pid is the server's own: no runuser/su wrapper in between that would
   * swallow stop signals or survive as a parent of an orphan.
   */
  uid?: number;
  gid?: number;
  /**
   * First signal stop() sends; default SIGTERM. PostgreSQL wants SIGINT ("fast" shutdown): its
   * SIGTERM ("smart") waits for every client to disconnect.
   */
  stopSignal?: NodeJS.Signals;
  /** How long stop() waits after the stop signal before SIGKILL; default 5 s. */
  stopGraceMs?: number;
  /**
   * Resolves true once the server serves requests. It is polled until the deadline, so it should
   * give up quickly (about a second) when the server does not answer yet.
   */
  ready: () => Promise<boolean>;
  /** Default 30 s. */
  readyTimeoutMs?: number;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly logFile: string;
  /**
   * The stop signal (SIGTERM unless StartProcessOptions.stopSignal says otherwise), then SIGKILL
   * after the grace period (5 s unless stopGraceMs says otherwise); resolves once the process has
   * exited. Safe to call twice.
   */
  stop(): Promise<void>;
}

const DEFAULT_STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 30;

/** Starts a server and resolves once `ready()` says it serves; throws with its log tail otherwise. */
export async function startProcess(options: StartProcessOptions): Promise<ManagedProcess> {
  installExitHooks();
  const { name, command, args, logFile } = options;
  const commandLine = [command, ...args].join(' ');
  appendFileSync(logFile, `\n--- ${new Date().toISOString()} starting: ${commandLine}\n`);
  // Only this run's part of the log belongs in error messages.
  const logStart = statSync(logFile).size;
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', logFd, logFd],
      uid: options.uid,
      gid: options.gid,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(logFd);
  }

  let exitDescription: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitDescription = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      running.delete(child);
      if (child.pid !== undefined) forgetPid(child.pid);
      resolve();
    });
    child.once('error', (error) => {
      exitDescription = `could not be started: ${error.message}`;
      running.delete(child);
      resolve();
    });
  });
  if (child.pid !== undefined) {
    running.add(child);
    watchPid(child.pid);
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitDescription !== undefined) return;
      child.kill(options.stopSignal ?? 'SIGTERM');
      const forceKill = setTimeout(() => child.kill('SIGKILL'), options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
      await exited;
      clearTimeout(forceKill);
    })();
    return stopping;
  };

  const failure = async (reason: string): Promise<Error> => {
    await stop();
    const tail = await readTail(logFile, logStart, LOG_TAIL_LINES);
    return new Error(
      `${name} ${reason}.\nCommand: ${commandLine}\nLast lines of ${logFile}:\n${tail || '(empty)'}`,
    );
  };

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await Promise.race([options.ready().catch(() => false), exited.then(() => false)]);
    if (exitDescription !== undefined) throw await failure(`${exitDescription} before it was ready`);
    if (ready) break;
    if (Date.now() >= deadline) throw await failure(`was not ready within ${timeoutMs / 1000} s`);
    await sleep(50);
  }

  return { pid: child.pid ?? -1, logFile, stop };
}

/** A server that can be stopped and started again with the same options. */
export interface RestartableProcess {
  /** Starts it (no-op while it runs; concurrent calls share one start). */
  start(): Promise<void>;
  /** Stops it, after any start under way has settled. */
  stop(): Promise<void>;
}

/** `startProcess(options)` behind start() and stop() that may be called any number of times. */
export function restartableProcess(options: StartProcessOptions): RestartableProcess {
  let current: ManagedProcess | undefined;
  let starting: Promise<void> | undefined;
  const start = (): Promise<void> => {
    if (current) return Promise.resolve();
    starting ??= startProcess(options)
      .then((process) => {
        current = process;
      })
      .finally(() => {
        starting = undefined;
      });
    return starting;
  };
  const stop = async (): Promise<void> => {
    await starting?.catch(() => undefined);
    const process = current;
    current = undefined;
    await process?.stop();
  };
  return { start, stop };
}

async function readTail(file: string, from: number, lines: number): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      // The last 64 KiB hold far more than 30 lines of any server's log.
      const start = Math.max(from, size - 64 * 1024);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      await handle.close();
    }
  } catch (error) {
    return `(could not read the log: ${(error as Error).message})`;
  }
}

/** Resolves true when something accepts TCP connections on 127.0.0.1:port. */
export function canConnect(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves the HTTP status of a GET, or undefined when nothing answers. */
export async function httpStatus(url: string, timeoutMs = 1_000): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return undefined;
  }
}

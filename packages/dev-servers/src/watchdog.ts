import { type ChildProcess, spawn } from 'node:child_process';

// 'exit' listeners do not run when this process is SIGKILLed, nor when the vitest worker
// *thread* that started a server is torn down (seen with --pool threads: servers outlived the
// run). A tiny helper process therefore holds a pipe from us; the kernel closes it however we
// die, and on that EOF the helper kills every server still registered and removes their temp dirs.
const WATCHDOG_SOURCE = `// @uplink/dev-servers watchdog: kills the dev servers of a parent that died
const { rmSync } = require('node:fs');
const pids = new Set();
const dirs = new Set();
let buffered = '';
function finish() {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch {}
  }
  for (const dir of dirs) {
    try { rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }); } catch {}
  }
  process.exit(0);
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  for (let end = buffered.indexOf('\\n'); end >= 0; end = buffered.indexOf('\\n')) {
    const message = JSON.parse(buffered.slice(0, end));
    buffered = buffered.slice(end + 1);
    if (message.pid !== undefined) pids.add(message.pid);
    if (message.forgetPid !== undefined) pids.delete(message.forgetPid);
    if (message.dir !== undefined) dirs.add(message.dir);
    if (message.forgetDir !== undefined) dirs.delete(message.forgetDir);
  }
});
process.stdin.on('end', finish);
process.stdin.on('error', finish);
// Ctrl-C reaches the whole process group; our parent decides what happens then, and its exit
// closes the pipe.
process.on('SIGINT', () => {});
process.on('SIGTERM', finish);
process.on('SIGHUP', finish);
`;

type WatchdogMessage = { pid: number } | { forgetPid: number } | { dir: string } | { forgetDir: string };

let watchdog: ChildProcess | undefined;
let unavailable = false;

function send(message: WatchdogMessage): void {
  if (unavailable) return;
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: {},
    });
    // The in-process exit hooks still do the work in the normal case; the watchdog is a safety net,
    // so it must neither keep this process alive nor crash it when it cannot run.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    watchdog.once('error', () => {
      unavailable = true;
    });
    watchdog.once('exit', () => {
      unavailable = true;
    });
    watchdog.stdin?.on('error', () => {
      unavailable = true;
    });
  }
  watchdog.stdin?.write(`${JSON.stringify(message)}\n`);
}

export function watchPid(pid: number): void {
  send({ pid });
}

export function forgetPid(pid: number): void {
  send({ forgetPid: pid });
}

export function watchDir(dir: string): void {
  send({ dir });
}

export function forgetDir(dir: string): void {
  send({ forgetDir: dir });
}

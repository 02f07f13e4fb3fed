import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, cp, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { log } from './log.ts';

export const NATS_SERVER_VERSION = 'v2.15.2';
/** The 3.x NATS JavaScript client refuses features (filter_subjects, stream metadata) of older servers. */
export const NATS_SERVER_MIN_VERSION: readonly [number, number] = [2, 10];
export const FERRETDB_VERSION = 'v1.24.2';

export const HELM_VERSION = 'v3.22.0';
/** Helm 3 from PATH is used when it is at least this; Helm 4 is a different CLI and never used. */
export const HELM_MIN_VERSION: readonly [number, number] = [3, 18];
/**
 * The Kubernetes version helm assumes without a cluster (`helm template`, `helm lint`, and the
 * chart's kubeVersion check). Helm's Makefile stamps it in with -ldflags from its client-go minor
 * (k8s.io/client-go v0.37.0 in helm v3.22.0's go.mod); a plain `go install` would leave 1.20.
 */
const HELM_KUBE_VERSION = { major: '1', minor: '37' } as const;

const NATS_MODULE = 'github.com/nats-io/nats-server/v2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const FERRETDB_PACKAGE = `${FERRETDB_MODULE}/cmd/ferretdb`;

export function toolsDir(): string {
  return process.env.UPLINK_TOOLS_DIR ?? join(homedir(), '.cache', 'uplink-tools');
}

export function toolsBinDir(): string {
  return join(toolsDir(), 'bin');
}

interface RunResult {
  /** null when the command could not be started at all (e.g. not installed). */
  code: number | null;
  stdout: string;
  /** stdout and stderr interleaved, for error messages. */
  output: string;
}

/** Runs a command to completion, capturing its output; never rejects. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; uid?: number; gid?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const stdoutChunks: Buffer[] = [];
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
      killSignal: 'SIGKILL',
      uid: options.uid,
      gid: options.gid,
    });
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      stdoutChunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', (error) => resolve({ code: null, stdout: '', output: error.message }));
    child.once('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdoutChunks).toString('utf8'),
        output: signal ? `${output}\n(killed by ${signal})` : output,
      });
    });
  });
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like `which`: the first executable called `name` in a PATH directory. */
export async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function parseVersion(text: string): number[] | undefined {
  const match = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? match.slice(1, 4).map(Number) : undefined;
}

function atLeast(version: readonly number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    const have = version[i] ?? 0;
    const want = minimum[i] ?? 0;
    if (have !== want) return have > want;
  }
  return true;
}

async function findGo(): Promise<string | undefined> {
  const candidates = [await findOnPath('go'), '/usr/local/go/bin/go'];
  for (const candidate of candidates) {
    if (candidate && (await isExecutable(candidate))) return candidate;
  }
  return undefined;
}

/**
 * Builds into a scratch directory next to the final binary and renames it into place: a build that
 * is killed half way never leaves a truncated binary that later runs would trust, and concurrent
 * builds just overwrite each other atomically.
 */
async function buildInto(
  finalPath: string,
  build: (outputPath: string, outputDir: string) => Promise<void>,
): Promise<void> {
  const binDir = toolsBinDir();
  await mkdir(binDir, { recursive: true });
  const scratch = await mkdtemp(join(binDir, '.build-'));
  try {
    const outputPath = join(scratch, 'out');
    await build(outputPath, scratch);
    await rename(outputPath, finalPath);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Lookups run once per process and tools dir; failures are forgotten so a later call retries. */
const lookups = new Map<string, Promise<unknown>>();

export function once<T>(key: string, locate: () => Promise<T>): Promise<T> {
  const fullKey = `${key}:${toolsBinDir()}`;
  let promise = lookups.get(fullKey) as Promise<T> | undefined;
  if (!promise) {
    promise = locate().catch((error: unknown) => {
      lookups.delete(fullKey);
      throw error;
    });
    lookups.set(fullKey, promise);
  }
  return promise;
}

/**
 * `apt-get install -y <package>` as root (Debian, Ubuntu), for what tests need and cannot build:
 * waits for a dpkg lock another apt-get holds, and refreshes stale package lists once when the
 * install fails. Throws, with `hint` saying what to install by hand, when not root or no apt-get.
 */
export async function aptGetInstall(
  packageName: string,
  about: { missing: string; duration: string; hint: () => string },
): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(`${about.missing}, and only root can install it here.\n${about.hint()}`);
  }
  const aptGet = await findOnPath('apt-get');
  if (!aptGet) throw new Error(`${about.missing} and there is no apt-get.\n${about.hint()}`);

  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another apt-get (a parallel test run, say) may hold the dpkg lock: wait for it instead of failing.
  const lockWait = ['-o', 'DPkg::Lock::Timeout=300'];
  const install = (): Promise<RunResult> =>
    run(aptGet, ['install', '-y', '--no-install-recommends', ...lockWait, packageName], {
      env,
      timeoutMs: 15 * 60_000,
    });
  log(`${about.missing}: running apt-get install -y ${packageName} (${about.duration})`);
  const started = Date.now();
  let result = await install();
  if (result.code !== 0) {
    // Usually stale package lists (404s, "Unable to locate package"): refresh them and retry once.
    log(`apt-get install failed (exit ${result.code}); running apt-get update and retrying`);
    const update = await run(aptGet, ['update', ...lockWait], { env, timeoutMs: 15 * 60_000 });
    if (update.code !== 0) {
      throw new Error(
        `'apt-get install -y ${packageName}' failed (exit ${result.code}):\n${lastLines(result.output, 15)}\n` +
          `and 'apt-get update' failed too (exit ${update.code}):\n${lastLines(update.output, 15)}\n${about.hint()}`,
      );
    }
    result = await install();
  }
  if (result.code !== 0) {
    throw new Error(
      `'apt-get install -y ${packageName}' failed (exit ${result.code}):\n${lastLines(result.output, 30)}\n${about.hint()}`,
    );
  }
  log(`${packageName} installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * A Go program the tests run, and what differs in getting it. Every tool is found the same way
 * (locateGoTool): our own build in the tools dir, else one on PATH when that may do, else built
 * with Go into the tools dir and checked before it is trusted.
 */
type GoTool = {
  name: string;
  /** The pinned version we build. */
  version: string;
  /** Whether a binary found on PATH may do (it is then checked like ours). */
  usePath: boolean;
  /** For the log line: how long a build takes. */
  buildTime: string;
  /** Why the binary at `path` is unusable, or undefined; `ours`: built by us, so the pinned version. */
  problem(path: string, ours: boolean): Promise<string | undefined>;
  /** Builds the binary at `outputPath` (in the scratch folder `outputDir`) with the `go` given. */
  build(go: string, outputPath: string, outputDir: string): Promise<void>;
  /** What a person can do when there is none and none can be built. */
  installHint(): string;
};

async function locateGoTool(tool: GoTool): Promise<string> {
  const problems: string[] = [];
  const ours = join(toolsBinDir(), tool.name);
  if (await isExecutable(ours)) {
    const problem = await tool.problem(ours, true);
    if (!problem) return ours;
    problems.push(problem);
  }
  const onPath = tool.usePath ? await findOnPath(tool.name) : undefined;
  if (onPath) {
    const problem = await tool.problem(onPath, false);
    if (!problem) return onPath;
    problems.push(problem);
  }

  const go = await findGo();
  if (!go) {
    throw new Error(
      `No usable ${tool.name} and no Go toolchain to build one. ${problems.join('; ')}\n${tool.installHint()}`,
    );
  }
  log(`building ${tool.name} ${tool.version} with ${go} into ${toolsBinDir()} (${tool.buildTime}; once)`);
  const started = Date.now();
  await buildInto(ours, (outputPath, outputDir) => tool.build(go, outputPath, outputDir));
  const problem = await tool.problem(ours, true);
  if (problem)
    throw new Error(`The freshly built ${tool.name} does not work: ${problem}\n${tool.installHint()}`);
  log(`${tool.name} ${tool.version} built in ${((Date.now() - started) / 1000).toFixed(0)} s: ${ours}`);
  return ours;
}

/** `go install <args> <target>` into `outputDir`, then the tool's binary moved to `outputPath`. */
async function goInstall(
  tool: GoTool,
  go: string,
  paths: { outputPath: string; outputDir: string },
  install: { target: string; args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<void> {
  const result = await run(go, ['install', ...(install.args ?? []), install.target], {
    env: { ...process.env, ...install.env, GOBIN: paths.outputDir },
    timeoutMs: install.timeoutMs,
  });
  if (result.code !== 0) {
    throw new Error(
      `'go install ${install.target}' failed (exit ${result.code}):\n` +
        `${lastLines(result.output, 30)}\n${tool.installHint()}`,
    );
  }
  await rename(join(paths.outputDir, tool.name), paths.outputPath);
}

const NATS_SERVER: GoTool = {
  name: 'nats-server',
  version: NATS_SERVER_VERSION,
  usePath: true,
  buildTime: 'about a minute',
  async problem(path) {
    const { code, output } = await run(path, ['--version']);
    if (code !== 0) return `'${path} --version' failed: ${lastLines(output, 3)}`;
    const version = parseVersion(output);
    if (!version) return `'${path} --version' printed no version: ${output.trim()}`;
    if (!atLeast(version, NATS_SERVER_MIN_VERSION)) {
      return `${path} is ${version.join('.')}, older than the ${NATS_SERVER_MIN_VERSION.join('.')} the NATS 3.x client needs`;
    }
    return undefined;
  },
  build: (go, outputPath, outputDir) =>
    goInstall(
      NATS_SERVER,
      go,
      { outputPath, outputDir },
      {
        target: `${NATS_MODULE}@${NATS_SERVER_VERSION}`,
        timeoutMs: 15 * 60_000,
      },
    ),
  installHint: () =>
    `Install nats-server ${NATS_SERVER_MIN_VERSION.join('.')} or newer: either put it on PATH ` +
    `(https://github.com/nats-io/nats-server/releases), or copy it to ${join(toolsBinDir(), 'nats-server')}, ` +
    `or install Go (https://go.dev/dl/, found on PATH or at /usr/local/go/bin/go) so that ` +
    `'go install ${NATS_MODULE}@${NATS_SERVER_VERSION}' can build it.`,
};

const HELM_MODULE = 'helm.sh/helm/v3';
const HELM_PACKAGE = `${HELM_MODULE}/cmd/helm`;

const HELM: GoTool = {
  name: 'helm',
  version: HELM_VERSION,
  usePath: true,
  buildTime: 'a few minutes on 2 cores',
  /** Ours must be the pinned version; one on PATH any Helm 3 from HELM_MIN_VERSION on. */
  async problem(path, ours) {
    const { code, output } = await run(path, ['version', '--template', '{{.Version}}']);
    if (code !== 0) return `'${path} version' failed: ${lastLines(output, 3)}`;
    const printed = output.trim();
    if (ours) return printed === HELM_VERSION ? undefined : `${path} is ${printed}, not ${HELM_VERSION}`;
    const version = parseVersion(printed);
    if (!version) return `'${path} version' printed no version: ${printed}`;
    if (version[0] !== 3 || !atLeast(version, HELM_MIN_VERSION)) {
      return `${path} is ${printed}; the chart tests need Helm 3, ${HELM_MIN_VERSION.join('.')} or newer`;
    }
    return undefined;
  },
  build(go, outputPath, outputDir) {
    // What helm's Makefile passes: the version `helm version` prints and the Kubernetes version
    // assumed without a cluster (without them: "v3.22" and v1.20.0, which fails kubeVersion checks).
    const ldflags = [
      '-s',
      '-w',
      `-X ${HELM_MODULE}/internal/version.version=${HELM_VERSION}`,
      `-X ${HELM_MODULE}/internal/version.gitTreeState=clean`,
      ...['pkg/chartutil', 'pkg/lint/rules'].flatMap((pkg) => [
        `-X ${HELM_MODULE}/${pkg}.k8sVersionMajor=${HELM_KUBE_VERSION.major}`,
        `-X ${HELM_MODULE}/${pkg}.k8sVersionMinor=${HELM_KUBE_VERSION.minor}`,
      ]),
    ].join(' ');
    return goInstall(
      HELM,
      go,
      { outputPath, outputDir },
      {
        target: `${HELM_PACKAGE}@${HELM_VERSION}`,
        args: ['-trimpath', `-ldflags=${ldflags}`],
        // GOWORK=off: a go.work of the caller's environment must not pull in other modules.
        env: { CGO_ENABLED: '0', GOWORK: 'off' },
        timeoutMs: 20 * 60_000,
      },
    );
  },
  installHint: () =>
    `Install helm ${HELM_VERSION}: either put a helm ${HELM_MIN_VERSION.join('.')}+ (v3) on PATH ` +
    `(https://helm.sh/docs/intro/install/), or copy it to ${join(toolsBinDir(), 'helm')}, or install Go ` +
    `(https://go.dev/dl/, found on PATH or at /usr/local/go/bin/go) so that ` +
    `'go install ${HELM_PACKAGE}@${HELM_VERSION}' can build it.`,
};

/** Files copied out of the Go module cache are read-only. */
async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    await chmod(path, (await stat(path)).isDirectory() ? 0o755 : 0o644);
  }
}

const FERRETDB: GoTool = {
  name: 'ferretdb',
  version: FERRETDB_VERSION,
  // A binary made by a plain `go install`/`go build` panics at start-up (see build), so only
  // ours is trusted, and only once it ran.
  usePath: false,
  buildTime: '1-3 minutes',
  async problem(path) {
    const { code, output } = await run(path, ['--version']);
    // FerretDB's panics put the reason first and a stack trace after it.
    if (code !== 0) return `'${path} --version' failed: ${output.trim().split('\n')[0]}`;
    if (!new RegExp(`^version:\\s*${FERRETDB_VERSION.replaceAll('.', '\\.')}$`, 'im').test(output)) {
      return `${path} is not FerretDB ${FERRETDB_VERSION}: ${output.split('\n')[0]}`;
    }
    return undefined;
  },
  async build(go, outputPath) {
    // `go install ...@v1.24.2` fails here: its deprecation check asks the Go proxy for a version
    // list it refuses, so we build from a throw-away module instead. Any build outside FerretDB's
    // own tooling panics at start-up, because build/version/version.txt (embedded, written by
    // their `task gen-version`) is missing; the module cache is read-only, so a copy of the
    // FerretDB module gets that file and a `replace` points the build at it.
    const workDir = await mkdtemp(join(tmpdir(), 'ferretbuild-'));
    const goStep = async (args: string[]): Promise<string> => {
      // GOWORK=off: a go.work of the caller's environment must not pull in other modules.
      const result = await run(go, args, {
        cwd: workDir,
        env: { ...process.env, GOWORK: 'off' },
        timeoutMs: 20 * 60_000,
      });
      if (result.code !== 0) {
        throw new Error(
          `'go ${args.join(' ')}' (in ${workDir}) failed (exit ${result.code}):\n` +
            `${lastLines(result.output, 30)}\n${FERRETDB.installHint()}`,
        );
      }
      return result.stdout;
    };
    try {
      await goStep(['mod', 'init', 'ferretbuild']);
      await goStep(['get', `${FERRETDB_PACKAGE}@${FERRETDB_VERSION}`]);
      const moduleDir = (await goStep(['list', '-m', '-f', '{{.Dir}}', FERRETDB_MODULE])).trim();
      const sourceDir = join(workDir, 'ferretdb-src');
      await cp(moduleDir, sourceDir, { recursive: true });
      await makeWritable(sourceDir);
      await writeFile(join(sourceDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
      await goStep(['mod', 'edit', '-replace', `${FERRETDB_MODULE}=./ferretdb-src`]);
      await goStep(['build', '-trimpath', '-buildvcs=false', '-o', outputPath, FERRETDB_PACKAGE]);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  },
  installHint: () =>
    `Install Go (https://go.dev/dl/, found on PATH or at /usr/local/go/bin/go) so that FerretDB ` +
    `${FERRETDB_VERSION} can be built, or copy a ferretdb ${FERRETDB_VERSION} binary to ` +
    `${join(toolsBinDir(), 'ferretdb')}, or put mongod on PATH, or set MONGODB_URI to a running MongoDB.`,
};

/** Path to a nats-server >= 2.10, building one with Go when none is around. */
export function ensureNatsServer(): Promise<string> {
  return once(NATS_SERVER.name, () => locateGoTool(NATS_SERVER));
}

/** Path to a helm 3 (the pinned one unless PATH has one recent enough), building it with Go when needed. */
export function ensureHelm(): Promise<string> {
  return once(HELM.name, () => locateGoTool(HELM));
}

/** Path to a working ferretdb v1.24.2, building it with Go when needed (1-3 minutes). */
export function ensureFerretDb(): Promise<string> {
  return once(FERRETDB.name, () => locateGoTool(FERRETDB));
}

export type FerretDbBackend = 'sqlite' | 'postgresql';
const FERRETDB_BACKENDS: readonly FerretDbBackend[] = ['sqlite', 'postgresql'];

/** The FerretDB backend named by UPLINK_FERRETDB_BACKEND; 'sqlite' when it is unset or empty. */
export function ferretDbBackendFromEnv(): FerretDbBackend {
  const value = process.env.UPLINK_FERRETDB_BACKEND?.trim().toLowerCase();
  if (!value) return 'sqlite';
  if ((FERRETDB_BACKENDS as readonly string[]).includes(value)) return value as FerretDbBackend;
  throw new Error(
    `UPLINK_FERRETDB_BACKEND is '${process.env.UPLINK_FERRETDB_BACKEND}'; use one of ${FERRETDB_BACKENDS.join(', ')}.`,
  );
}

/** The PostgreSQL server programs startPostgres() runs. */
export interface PostgresBinaries {
  /** Directory holding all of them, e.g. /usr/lib/postgresql/15/bin. */
  binDir: string;
  initdb: string;
  postgres: string;
  pgIsReady: string;
  createdb: string;
  psql: string;
}

const POSTGRES_LIB_DIR = '/usr/lib/postgresql';
const POSTGRES_PROGRAMS: Record<Exclude<keyof PostgresBinaries, 'binDir'>, string> = {
  initdb: 'initdb',
  postgres: 'postgres',
  pgIsReady: 'pg_isready',
  createdb: 'createdb',
  psql: 'psql',
};

async function postgresIn(binDir: string): Promise<PostgresBinaries | undefined> {
  const found: Partial<PostgresBinaries> = { binDir };
  for (const [key, name] of Object.entries(POSTGRES_PROGRAMS)) {
    const path = join(binDir, name);
    if (!(await isExecutable(path))) return undefined;
    found[key as keyof typeof POSTGRES_PROGRAMS] = path;
  }
  return found as PostgresBinaries;
}

/**
 * The newest /usr/lib/postgresql/<major>/bin (Debian and Ubuntu keep the server programs there,
 * off PATH) with all five programs; else a PATH directory with all of them (other distributions).
 */
async function findPostgres(): Promise<PostgresBinaries | undefined> {
  let majors: string[] = [];
  try {
    majors = (await readdir(POSTGRES_LIB_DIR)).filter((name) => /^\d+(\.\d+)?$/.test(name));
  } catch {
    // No Debian-style PostgreSQL install.
  }
  majors.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  for (const major of majors) {
    const found = await postgresIn(join(POSTGRES_LIB_DIR, major, 'bin'));
    if (found) return found;
  }
  const initdb = await findOnPath('initdb');
  return initdb ? postgresIn(dirname(initdb)) : undefined;
}

const postgresInstallHint = (): string =>
  `Install the PostgreSQL server as root, e.g. 'apt-get install -y postgresql' on Debian/Ubuntu ` +
  `(it provides ${POSTGRES_LIB_DIR}/<major>/bin/{initdb,postgres,pg_isready,createdb,psql}), or put ` +
  `initdb, postgres, pg_isready, createdb and psql in one PATH directory, or use FerretDB's SQLite backend ` +
  `(unset UPLINK_FERRETDB_BACKEND or set it to 'sqlite').`;

/**
 * PostgreSQL server programs for FerretDB's postgresql backend. When missing and we are root, they
 * are installed with `apt-get install -y postgresql` (about 5 s; `apt-get update` first when the
 * package lists are stale); otherwise this throws, saying what to install.
 */
export function ensurePostgres(): Promise<PostgresBinaries> {
  return once('postgres', locatePostgres);
}

async function locatePostgres(): Promise<PostgresBinaries> {
  const existing = await findPostgres();
  if (existing) return existing;

  await aptGetInstall('postgresql', {
    missing: `PostgreSQL server programs are not installed (looked in ${POSTGRES_LIB_DIR}/<major>/bin and on PATH)`,
    duration: 'about 5 s',
    hint: postgresInstallHint,
  });
  const installed = await findPostgres();
  if (!installed) {
    throw new Error(
      `'apt-get install -y postgresql' succeeded, but initdb, postgres, pg_isready, createdb and psql are still not ` +
        `in ${POSTGRES_LIB_DIR}/<major>/bin.\n${postgresInstallHint()}`,
    );
  }
  log(`PostgreSQL server programs: ${installed.binDir}`);
  return installed;
}

/** True when startMongo() will need FerretDB, i.e. neither MONGODB_URI nor mongod is available. */
export async function needsFerretDb(): Promise<boolean> {
  return !process.env.MONGODB_URI && !(await findOnPath('mongod'));
}

// Schemathesis, the API fuzzer the API tests run against link-service and upload-gateway. It is a
// Python program: installed once, pinned, into a virtual environment of its own in the tools dir
// (PyPI must be reachable the first time), never into the machine's Python.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aptGetInstall, findOnPath, isExecutable, lastLines, once, run, toolsDir } from './binaries.ts';
import { log } from './log.ts';

export const SCHEMATHESIS_VERSION = '4.32.5';

const installHint = (): string =>
  `Install Python 3.10 or newer with its venv module (Debian: apt-get install python3-venv), ` +
  `so that schemathesis ${SCHEMATHESIS_VERSION} can be installed from PyPI into ${venvDir()}.`;

function venvDir(): string {
  return join(toolsDir(), `schemathesis-${SCHEMATHESIS_VERSION}`);
}

/** Written last: a venv without it was cut short (a killed run) and is made again. */
const COMPLETE_MARKER = '.uplink-complete';

/** Path to the pinned `schemathesis` command, installing it the first time (about a minute). */
export function ensureSchemathesis(): Promise<string> {
  return once('schemathesis', locateSchemathesis);
}

async function locateSchemathesis(): Promise<string> {
  const dir = venvDir();
  const command = join(dir, 'bin', 'schemathesis');
  const marker = await readFile(join(dir, COMPLETE_MARKER), 'utf8').catch(() => '');
  if (marker.trim() === SCHEMATHESIS_VERSION && (await isExecutable(command))) return command;

  const python = await findOnPath('python3');
  if (!python) throw new Error(`No python3 on PATH to install schemathesis with.\n${installHint()}`);
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${dir} (PyPI; about a minute, once)`);
  const started = Date.now();
  await rm(dir, { recursive: true, force: true });
  // A venv records its own path in its scripts, so it is made where it stays.
  let venv = await run(python, ['-m', 'venv', dir], { timeoutMs: 120_000 });
  if (venv.code !== 0 && /ensurepip|venv/.test(venv.output)) {
    await aptGetInstall('python3-venv', {
      missing: "Python's venv module is missing",
      duration: 'under a minute',
      hint: installHint,
    });
    await rm(dir, { recursive: true, force: true });
    venv = await run(python, ['-m', 'venv', dir], { timeoutMs: 120_000 });
  }
  if (venv.code !== 0) {
    throw new Error(
      `'python3 -m venv' failed (exit ${venv.code}):\n${lastLines(venv.output, 20)}\n${installHint()}`,
    );
  }
  const pip = await run(
    join(dir, 'bin', 'pip'),
    [
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--quiet',
      `schemathesis==${SCHEMATHESIS_VERSION}`,
    ],
    { timeoutMs: 15 * 60_000 },
  );
  if (pip.code !== 0) {
    throw new Error(
      `'pip install schemathesis==${SCHEMATHESIS_VERSION}' failed (exit ${pip.code}):\n` +
        `${lastLines(pip.output, 30)}\n${installHint()}`,
    );
  }
  const version = await run(command, ['--version']);
  if (version.code !== 0 || !version.stdout.includes(SCHEMATHESIS_VERSION)) {
    throw new Error(
      `The installed schemathesis does not run: ${lastLines(version.output, 10)}\n${installHint()}`,
    );
  }
  await writeFile(join(dir, COMPLETE_MARKER), `${SCHEMATHESIS_VERSION}\n`);
  log(`schemathesis ${SCHEMATHESIS_VERSION} installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return command;
}

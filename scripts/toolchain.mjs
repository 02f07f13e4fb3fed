#!/usr/bin/env node
// Entry point of every root npm script. It runs on whatever Node the machine has (v18+), so it is
// plain JavaScript with no dependencies. It makes sure the project's toolchain is present —
// Node 24 LTS and the pinned pnpm, both from the npm registry — installs the workspace, and then
// runs the given command with that toolchain first on PATH.
//
//   node scripts/toolchain.mjs <command> [args...]
//
// Tools are cached in $UPLINK_TOOLS_DIR (default ~/.cache/uplink-tools) so clean clones on the
// same machine reuse them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_MAJOR = 24;
// Pinned here rather than in package.json's packageManager field, which makes pnpm try to manage
// its own version from the registry (and fail on this registry's metadata).
const PNPM_VERSION = '12.21.0';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = process.env.UPLINK_TOOLS_DIR ?? join(homedir(), '.cache', 'uplink-tools');

function say(message) {
  process.stderr.write(`[toolchain] ${message}\n`);
}

function run(cmd, args, env = process.env) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', env, cwd: root });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function mustRun(cmd, args, env) {
  const status = run(cmd, args, env);
  if (status !== 0) {
    say(`'${cmd} ${args.join(' ')}' failed with exit code ${status}`);
    process.exit(status);
  }
}

function nodeBinDir() {
  if (Number(process.versions.node.split('.')[0]) >= NODE_MAJOR) return dirname(process.execPath);
  const prefix = join(toolsDir, `node${NODE_MAJOR}`);
  const bin = join(prefix, 'node_modules', '.bin');
  if (!existsSync(join(bin, 'node'))) {
    say(
      `Node ${process.versions.node} is older than ${NODE_MAJOR}; installing node@${NODE_MAJOR} from the npm registry into ${prefix}`,
    );
    mkdirSync(prefix, { recursive: true });
    mustRun('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', `node@${NODE_MAJOR}`]);
  }
  return bin;
}

function pnpmBinDir(pathWithNode) {
  const version = PNPM_VERSION;
  const prefix = join(toolsDir, `pnpm-${version}`);
  const bin = join(prefix, 'bin');
  if (!existsSync(join(bin, 'pnpm'))) {
    say(`installing pnpm@${version} from the npm registry into ${prefix}`);
    mkdirSync(prefix, { recursive: true });
    mustRun(
      'npm',
      ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', `pnpm@${version}`],
      {
        ...process.env,
        PATH: pathWithNode,
      },
    );
  }
  return bin;
}

// Installs the workspace when the lockfile or a manifest changed since the last install.
function installWorkspace(env) {
  const stamp = join(root, 'node_modules', '.uplink-installed');
  const inputs = ['pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml'].map((f) => join(root, f));
  for (const group of ['packages', 'services', 'integrations']) {
    for (const name of readdirSync(join(root, group))) inputs.push(join(root, group, name, 'package.json'));
  }
  const newest = Math.max(...inputs.filter(existsSync).map((f) => statSync(f).mtimeMs));
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newest) return;
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  mustRun('pnpm', ['install', ...frozen], env);
  writeFileSync(stamp, new Date().toISOString());
}

const [command, ...args] = process.argv.slice(2);
if (!command) {
  say('usage: node scripts/toolchain.mjs <command> [args...]');
  process.exit(2);
}
const nodeBin = nodeBinDir();
const pathWithNode = [nodeBin, process.env.PATH].join(delimiter);
const pnpmBin = pnpmBinDir(pathWithNode);
const env = {
  ...process.env,
  PATH: [nodeBin, pnpmBin, join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  UPLINK_TOOLS_DIR: toolsDir,
};
installWorkspace(env);
process.exit(run(command, args, env));

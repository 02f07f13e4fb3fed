// `npm test`: static checks (Biome, TypeScript), then every test against real servers.
// `npm run check` runs the static checks only.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ensureBinaries } from '@uplink/dev-servers';

// The service suites on the embedded adapters (UPLINK_TEST_ADAPTERS=embedded) report apart.
const REPORT =
  process.env.UPLINK_TEST_ADAPTERS === 'embedded'
    ? 'test-artifacts/vitest-embedded.json'
    : 'test-artifacts/vitest.json';

function step(title: string, cmd: string, args: string[]): number {
  process.stderr.write(`\n== ${title}\n`);
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0)
    process.stderr.write(`\n${title} failed (exit ${result.status ?? result.signal}).\n`);
  return result.status ?? 1;
}

function mustPass(title: string, cmd: string, args: string[]): void {
  const status = step(title, cmd, args);
  if (status !== 0) process.exit(status);
}

/** One plain summary line that any CI can read, whatever runner produced the results. */
function summary(): string | undefined {
  if (!existsSync(REPORT)) return undefined;
  const r = JSON.parse(readFileSync(REPORT, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  return `Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`;
}

mustPass('Format and lint (Biome)', 'biome', ['ci', '.']);
mustPass('Type-check (TypeScript)', 'tsc', ['--noEmit', '-p', 'tsconfig.json']);
mustPass('Type-check the upload page script (TypeScript, DOM)', 'tsc', [
  '--noEmit',
  '-p',
  'services/upload-gateway/client/tsconfig.json',
]);
mustPass('Type-check the agent console script (TypeScript, DOM)', 'tsc', [
  '--noEmit',
  '-p',
  'services/link-service/console/tsconfig.json',
]);
mustPass('Type-check the links panel (TypeScript, DOM)', 'tsc', [
  '--noEmit',
  '-p',
  'packages/links-panel/tsconfig.json',
]);
mustPass('Type-check the Freshdesk app (TypeScript, DOM)', 'tsc', [
  '--noEmit',
  '-p',
  'integrations/freshdesk/tsconfig.json',
]);
mustPass('Type-check the benchmark pages (TypeScript, DOM)', 'tsc', [
  '--noEmit',
  '-p',
  'bench/pages/tsconfig.json',
]);
if (process.argv.includes('--static-only')) process.exit(0);

process.stderr.write(
  '\n== Test tools (nats-server, FerretDB, helm, Chromium, Firefox ESR, WebKitGTK) are installed when missing\n',
);
await ensureBinaries();
const status = step('Tests (vitest, real NATS, MongoDB-wire and Azurite on loopback)', 'vitest', [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${REPORT}`,
  ...process.argv.slice(2),
]);
const line = summary();
if (line) process.stdout.write(`\n${line}\n`);
process.exit(status);

// `npm test`: static checks (Biome, TypeScript), then every test against real servers.
// `npm run check` runs the static checks only.
import { spawnSync } from 'node:child_process';
import { ensureBinaries } from '@uplink/dev-servers';

function step(title: string, cmd: string, args: string[]): void {
  process.stderr.write(`\n== ${title}\n`);
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`\n${title} failed (exit ${result.status ?? result.signal}).\n`);
    process.exit(result.status ?? 1);
  }
}

step('Format and lint (Biome)', 'biome', ['ci', '.']);
step('Type-check (TypeScript)', 'tsc', ['--noEmit', '-p', 'tsconfig.json']);
if (process.argv.includes('--static-only')) process.exit(0);

process.stderr.write('\n== Test servers (nats-server, FerretDB) are installed when missing\n');
await ensureBinaries();
step('Tests (vitest, real NATS, MongoDB-wire and Azurite on loopback)', 'vitest', [
  'run',
  ...process.argv.slice(2),
]);

// package.json's start script runs scripts/start.ts with the Node options the tests and
// benchmarks give it (NPM_START_NODE_OPTIONS), so what they measure is what `npm start` runs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NPM_START_NODE_OPTIONS } from '@uplink/embedded/runtime';
import { expect, test } from 'vitest';
import { ROOT } from './npm-start-process.ts';

test('npm start runs scripts/start.ts with NPM_START_NODE_OPTIONS', async () => {
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(manifest.scripts.start).toBe(
    `node scripts/toolchain.mjs node ${NPM_START_NODE_OPTIONS} scripts/start.ts`,
  );
});

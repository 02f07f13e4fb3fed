// `npm run config-docs`: rewrites the README's configuration tables and the chart's per-service
// `config` blocks from the env schemas (see config-docs.ts). Run it after changing a variable.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CHART_SCHEMA_FILE, README_FILE, renderChartSchema, renderReadme } from './config-docs.ts';

const root = resolve(import.meta.dirname, '..');
const readme = join(root, README_FILE);
writeFileSync(readme, renderReadme(readFileSync(readme, 'utf8')));
const chartSchema = join(root, CHART_SCHEMA_FILE);
writeFileSync(chartSchema, renderChartSchema(readFileSync(chartSchema, 'utf8')));
// The house format for JSON (what `biome check` expects).
execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', CHART_SCHEMA_FILE], {
  cwd: root,
  stdio: 'inherit',
});
process.stdout.write(`Wrote ${README_FILE} and ${CHART_SCHEMA_FILE} from the env schemas.\n`);

// The README's configuration tables and the chart's per-service `config` blocks are generated
// from the env schemas (scripts/config-docs.ts): this fails when either file says something else.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHART_SCHEMA_FILE,
  CHART_VALUES,
  chartConfigBlock,
  chartValueEntry,
  FIX,
  README_FILE,
  renderReadme,
  SERVICES,
  serviceVariables,
  valuesParent,
} from '../../scripts/config-docs.ts';

const root = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFile(join(root, file), 'utf8');

describe('the configuration reference', () => {
  it(`README.md's tables say what the env schemas say (to fix: ${FIX})`, async () => {
    const readme = await read(README_FILE);
    expect(readme === renderReadme(readme), `${README_FILE} drifted from the env schemas: run ${FIX}`).toBe(
      true,
    );
  });

  it(`the chart's config blocks accept what the env schemas do (to fix: ${FIX})`, async () => {
    const schema = JSON.parse(await read(CHART_SCHEMA_FILE));
    for (const service of SERVICES) {
      expect(
        valuesParent(schema, `${service.valuesKey}.config`).config,
        `${CHART_SCHEMA_FILE} ${service.valuesKey}.config drifted from ${service.name}'s env schema: run ${FIX}`,
      ).toEqual(chartConfigBlock(service));
    }
    for (const path of Object.keys(CHART_VALUES)) {
      expect(
        valuesParent(schema, path)[path.split('.').at(-1) as string],
        `${CHART_SCHEMA_FILE} ${path} drifted from ${CHART_VALUES[path]}: run ${FIX}`,
      ).toEqual(chartValueEntry(path));
    }
  });

  it('lists every variable a service reads once, described, with the services that read it', () => {
    const variables = serviceVariables();
    const names = variables.map((variable) => variable.name);
    expect(new Set(names).size).toBe(names.length);
    for (const service of SERVICES) {
      for (const name of Object.keys(service.schema.properties)) {
        const variable = variables.find((v) => v.name === name);
        expect(variable?.readers.map((reader) => reader.service)).toContain(service.name);
        expect(variable?.schema.description, `${name} has no description`).toBeTruthy();
      }
    }
  });
});

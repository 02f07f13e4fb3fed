// The configuration reference, rendered from the env schemas (the one source): the README's
// tables and the chart's per-service `config` blocks in values.schema.json. `npm run config-docs`
// writes them (generate-config-docs.ts); tests/config-docs fails when a file drifts from them.
import { NpmStartEnv } from '@uplink/embedded/env';
import { ExpirySchedulerEnv } from '@uplink/expiry-scheduler/env';
import { LinkServiceEnv } from '@uplink/link-service/env';
import { NoteRelayEnv } from '@uplink/note-relay/env';
import { UploadGatewayEnv } from '@uplink/upload-gateway/env';

export const README_FILE = 'README.md';
export const CHART_SCHEMA_FILE = 'charts/uplink/values.schema.json';
export const FIX = 'npm run config-docs';

/** An env schema (a TypeBox object: its keys are the variable names), as far as this reads it. */
type EnvSchema = { properties: Record<string, unknown>; required?: readonly string[] };

/** Each service, its env schema and its key in the chart's values. */
export const SERVICES = [
  { name: 'link-service', valuesKey: 'linkService', schema: LinkServiceEnv },
  { name: 'upload-gateway', valuesKey: 'uploadGateway', schema: UploadGatewayEnv },
  { name: 'note-relay', valuesKey: 'noteRelay', schema: NoteRelayEnv },
  { name: 'expiry-scheduler', valuesKey: 'expiryScheduler', schema: ExpirySchedulerEnv },
] as const satisfies readonly { name: string; valuesKey: string; schema: EnvSchema }[];

/**
 * Variables the chart sets itself, from its other values or its Secret (see uplink.config and
 * uplink.secretVariables in _helpers.tpl), with the value that sets each: a service's `config`
 * takes the others.
 */
export const SET_BY_CHART: Readonly<Record<string, string>> = {
  HOST: '(always 0.0.0.0)',
  PORT: '<service>.port',
  MONGODB_URI: 'secret',
  MONGODB_DB: 'mongodb.database',
  NATS_URL: 'nats.url',
  SHUTDOWN_TIMEOUT_MS: 'shutdown.timeoutMs',
  SHUTDOWN_DRAIN_DELAY_MS: 'shutdown.drainDelayMs',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'otel.endpoint',
  METRICS_PORT: 'metrics.port',
  TRUST_PROXY: 'trustProxy',
  PUBLIC_UPLOAD_BASE_URL: 'publicUrls.upload',
  PUBLIC_FILE_BASE_URL: 'publicUrls.file',
  UPLINK_SECRET_KEYS: 'secret',
  UPLINK_OPERATOR_TOKEN: 'secret',
  UPLINK_BOOTSTRAP_API_KEY: 'secret',
  OIDC_CLIENT_SECRET: 'secret',
  AZURE_STORAGE_CONNECTION_STRING: 'secret',
  AZURE_STORAGE_ACCOUNT_KEY: 'secret',
  AZURE_STORAGE_ACCOUNT_NAME: 'azureStorage.accountName',
  AZURE_STORAGE_BLOB_ENDPOINT: 'azureStorage.blobEndpoint',
  AZURE_STORAGE_USE_IDENTITY: 'azureStorage.auth',
  AZURE_STORAGE_CONTAINER: 'azureStorage.container',
  AZURE_STORAGE_CONFIGURE: 'azureStorage.configure',
};

/** The README's generated regions: each between its start and end marker. */
export const README_REGIONS = {
  services: 'configuration',
  npmStart: 'npm-start-configuration',
} as const;

/** One variable's schema, as far as the reference reads it. */
type VariableSchema = {
  type?: string;
  anyOf?: { const?: unknown }[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  /** A secret: loadConfig never repeats its value. */
  writeOnly?: boolean;
};

/**
 * One service's use of a variable: its default (undefined: none), and whether it is `required`
 * (in the schema and without a default: the service refuses to start without it).
 */
type Reader = { service: string; default: unknown; required: boolean };

type Variable = { name: string; schema: VariableSchema; readers: Reader[] };

function variablesOf(schema: EnvSchema): [string, VariableSchema, boolean][] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, property]) => {
    const variable = property as VariableSchema;
    return [name, variable, required.has(name) && variable.default === undefined];
  });
}

/** Every variable the services read, common ones first, then by how many services read them. */
export function serviceVariables(): Variable[] {
  const byName = new Map<string, Variable>();
  for (const service of SERVICES) {
    for (const [name, schema, required] of variablesOf(service.schema)) {
      const known = byName.get(name);
      const reader = { service: service.name, default: schema.default, required };
      if (!known) {
        byName.set(name, { name, schema, readers: [reader] });
        continue;
      }
      // One variable, one meaning: only its default, or whether it is required, may differ
      // between services (PORT; UPLINK_SECRET_KEYS).
      const { default: _, ...rest } = schema;
      const { default: __, ...knownRest } = known.schema;
      if (JSON.stringify(rest) !== JSON.stringify(knownRest)) {
        throw new Error(
          `${name} is declared differently by ${known.readers[0]?.service} and ${service.name}: declare it once and use that declaration in both`,
        );
      }
      known.readers.push(reader);
    }
  }
  const order = [...byName.keys()];
  return [...byName.values()].sort(
    (a, b) => b.readers.length - a.readers.length || order.indexOf(a.name) - order.indexOf(b.name),
  );
}

export function npmStartVariables(): Variable[] {
  return variablesOf(NpmStartEnv).map(([name, schema, required]) => ({
    name,
    schema,
    readers: [{ service: 'npm start', default: schema.default, required }],
  }));
}

function describe(variable: Variable): string {
  const { schema, name } = variable;
  if (!schema.description) throw new Error(`${name} has no description in its schema`);
  const limits: string[] = [];
  if (schema.anyOf) limits.push(`One of ${schema.anyOf.map((option) => code(option.const)).join(', ')}.`);
  if (schema.type === 'boolean') limits.push('`true` or `false`.');
  if (schema.type === 'integer') {
    const { minimum: min, maximum: max } = schema;
    if (min !== undefined && max !== undefined) limits.push(`An integer from ${min} to ${max}.`);
    else if (min !== undefined) limits.push(`An integer, at least ${min}.`);
    else limits.push('An integer.');
  }
  if (schema.minLength !== undefined && schema.minLength > 1)
    limits.push(`At least ${schema.minLength} characters.`);
  if (schema.writeOnly) limits.push('A secret: a refusal names it, never its value.');
  return [schema.description, ...limits].join(' ');
}

function code(value: unknown): string {
  return `\`${String(value)}\``;
}

function defaultText(variable: Variable): string {
  const shown = (reader: Reader) => {
    if (reader.required) return '**required**';
    if (reader.default === undefined) return 'unset';
    return reader.default === '' ? 'empty' : code(reader.default);
  };
  const distinct = new Set(variable.readers.map(shown));
  if (distinct.size === 1) return [...distinct].join('');
  return variable.readers.map((reader) => `${shown(reader)} ${reader.service}`).join(', ');
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The README's table of every service's variables. */
export function servicesTable(): string {
  const rows = serviceVariables().map((variable) => {
    const readers =
      variable.readers.length === SERVICES.length ? 'all' : variable.readers.map((r) => r.service).join(', ');
    return `| \`${variable.name}\` | ${readers} | ${defaultText(variable)} | ${cell(describe(variable))} |`;
  });
  return ['| Variable | Services | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The README's table of what `npm start` reads besides the services' variables. */
export function npmStartTable(): string {
  const rows = npmStartVariables().map(
    (variable) => `| \`${variable.name}\` | ${defaultText(variable)} | ${cell(describe(variable))} |`,
  );
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function markers(region: string): { start: string; end: string } {
  return {
    start: `<!-- ${region}: generated from the env schemas by \`${FIX}\`; edit the schemas, not this table -->`,
    end: `<!-- ${region}: end -->`,
  };
}

/** The README with each generated region replaced by what the schemas say now. */
export function renderReadme(readme: string): string {
  const tables: Record<string, string> = {
    [README_REGIONS.services]: servicesTable(),
    [README_REGIONS.npmStart]: npmStartTable(),
  };
  let out = readme;
  for (const [region, table] of Object.entries(tables)) {
    const { start, end } = markers(region);
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${README_FILE} has no "${start}" ... "${end}" region`);
    out = `${out.slice(0, from + start.length)}\n${table}\n${out.slice(to)}`;
  }
  return out;
}

/** A variable's schema as the chart's values accept it (numbers and booleans unquoted). */
function valuesSchema(variable: Variable): Record<string, unknown> {
  const { schema } = variable;
  const out: Record<string, unknown> = {};
  if (schema.anyOf) out.enum = schema.anyOf.map((option) => option.const);
  else if (schema.type === 'boolean') out.enum = [true, false, 'true', 'false'];
  else {
    out.type = schema.type;
    for (const key of ['minimum', 'maximum', 'minLength', 'pattern'] as const) {
      if (schema[key] !== undefined) out[key] = schema[key];
    }
  }
  if (schema.default !== undefined) out.default = schema.default;
  out.description = schema.description;
  return out;
}

/** The `config` block of one service in the chart's values schema. */
export function chartConfigBlock(service: (typeof SERVICES)[number]): Record<string, unknown> {
  const variables = serviceVariables().filter(
    (variable) =>
      variable.readers.some((r) => r.service === service.name) && !(variable.name in SET_BY_CHART),
  );
  // In the service's own order, as its env schema lists them.
  const order = Object.keys(service.schema.properties);
  variables.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(variables.map((variable) => [variable.name, valuesSchema(variable)])),
    description: `${service.name}'s own variables, by name (README, Configuration); generated from its env schema by \`${FIX}\`.`,
  };
}

/**
 * Chart values that set one variable for every service (uplink.config in _helpers.tpl), each with
 * its variable: their entries are generated from it too, bounds and meaning but not the default
 * (values.yaml chooses that for a cluster).
 */
export const CHART_VALUES: Readonly<Record<string, string>> = {
  logLevel: 'LOG_LEVEL',
  'nats.url': 'NATS_URL',
  'mongodb.database': 'MONGODB_DB',
  'shutdown.drainDelayMs': 'SHUTDOWN_DRAIN_DELAY_MS',
  'shutdown.timeoutMs': 'SHUTDOWN_TIMEOUT_MS',
  'metrics.port': 'METRICS_PORT',
};

/** The values schema's entry for a value in CHART_VALUES. */
export function chartValueEntry(path: string): Record<string, unknown> {
  const name = CHART_VALUES[path];
  const variable = serviceVariables().find((v) => v.name === name);
  if (!variable) throw new Error(`${path}: no service reads ${name}`);
  const { default: _, description, ...bounds } = valuesSchema(variable);
  return { ...bounds, description: `${variable.name}: ${description}` };
}

type SchemaNode = { properties?: Record<string, SchemaNode> } & Record<string, unknown>;

/** The properties that hold the last key of a dotted values path. */
export function valuesParent(schema: SchemaNode, path: string): Record<string, SchemaNode> {
  const keys = path.split('.');
  let node = schema;
  for (const key of keys.slice(0, -1)) {
    const child = node.properties?.[key];
    if (!child) throw new Error(`${CHART_SCHEMA_FILE} has no ${path}`);
    node = child;
  }
  if (!node.properties) throw new Error(`${CHART_SCHEMA_FILE} has no ${path}`);
  return node.properties;
}

/** The chart's values schema with what the env schemas say now: config blocks, CHART_VALUES. */
export function renderChartSchema(text: string): string {
  const schema = JSON.parse(text) as SchemaNode;
  for (const service of SERVICES) {
    valuesParent(schema, `${service.valuesKey}.config`).config = chartConfigBlock(service);
  }
  for (const path of Object.keys(CHART_VALUES)) {
    const key = path.split('.').at(-1) as string;
    valuesParent(schema, path)[key] = chartValueEntry(path);
  }
  return `${JSON.stringify(schema, null, 2)}\n`;
}

// The libraries Uplink instruments, created once per process: HTTP server spans (@fastify/otel,
// registered by createHttpApp), MongoDB client spans, and HTTP client spans for fetch (undici).
// Loaded by startTelemetry only when telemetry leaves the process (tens of MB of modules
// otherwise): import it dynamically, never from the package index.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { redactPath } from './log-redaction.ts';
import { activeInstrumentations, setActiveInstrumentations } from './telemetry.ts';

export type Instrumentations = {
  fastify: FastifyOtelInstrumentation;
  mongodb: MongoDBInstrumentation;
  undici: UndiciInstrumentation;
  setTracerProvider(provider: TracerProvider): void;
  setMeterProvider(provider: MeterProvider): void;
};

/** Routes that answer probes: no spans (they would drown the traces that matter). */
const PROBE_PATHS = new Set(['/healthz', '/readyz']);

/**
 * The process's instrumentations, created and enabled on the first call. The MongoDB driver is
 * patched when it is loaded afterwards (require-in-the-middle, which also sees the driver's
 * internal `require`s when the driver itself is imported from ESM), or in place when it was
 * loaded already — as it always is by then: a service's static imports load the driver before
 * any of its code runs.
 */
export function enableInstrumentations(): Instrumentations {
  const active = activeInstrumentations();
  if (active) return active;
  const created = createInstrumentations();
  setActiveInstrumentations(created);
  return created;
}

function createInstrumentations(): Instrumentations {
  const fastify = new FastifyOtelInstrumentation({
    // Hook spans add nothing the request and handler spans do not show.
    instrumentHooks: false,
    ignorePaths: ({ url }) => PROBE_PATHS.has(url.split('?')[0] ?? url),
    requestHook: (span, request) => {
      // "POST /u/:token/uploads/:uploadId/complete": the route, never the raw path (tokens).
      const route = request.routeOptions.url;
      span.updateName(route ? `${request.method} ${route}` : request.method);
      // @fastify/otel records the whole request URL: link tokens in the path, API keys in the
      // query (?access_token=). As the logs have it: the path, tokens cut short; no query.
      span.setAttribute('url.path', redactPath(request.url.split('?')[0] ?? '', route));
    },
    // "handler /u/:token/…" rather than the plugin chain the handler was registered through.
    lifecycleHook: (span, { hookName, request }) => {
      const route = request.routeOptions.url;
      span.updateName(route ? `${hookName} ${route}` : hookName);
    },
  });
  // Only inside a span: the driver's background chatter (monitoring, sweeps) stays out of traces.
  const mongodb = new MongoDBInstrumentation({ requireParentSpan: true });
  const undici = new UndiciInstrumentation({
    requireParentforSpans: true,
    // Destination URLs are tenants' configuration and may carry credentials in the query.
    startSpanHook: (request) => redactedUrl(request.origin, request.path),
  });
  const all = [fastify, mongodb, undici];
  patchLoadedModules(mongodb);
  return {
    fastify,
    mongodb,
    undici,
    setTracerProvider: (provider) => {
      for (const instrumentation of all) instrumentation.setTracerProvider(provider);
    },
    setMeterProvider: (provider) => {
      for (const instrumentation of all) instrumentation.setMeterProvider(provider);
    },
  };
}

/** `url.full` and `url.query` with every query value replaced. */
function redactedUrl(origin: string, path: string): Record<string, string> {
  let url: URL;
  try {
    url = new URL(path, origin);
  } catch {
    return {};
  }
  if (!url.search) return {};
  const query = [...url.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=REDACTED`).join('&');
  url.search = query;
  return { 'url.full': url.toString(), 'url.query': `?${query}` };
}

type ModuleDefinition = ReturnType<MongoDBInstrumentation['getModuleDefinitions']>[number];

/**
 * Applies an instrumentation's file patches to modules already in the CommonJS cache, as
 * require-in-the-middle would have when they were loaded. Files patched already are left alone.
 */
function patchLoadedModules(instrumentation: { getModuleDefinitions(): ModuleDefinition[] }): void {
  const cache = createRequire(import.meta.url).cache;
  for (const definition of instrumentation.getModuleDefinitions()) {
    for (const file of definition.files) {
      if (file.moduleExports !== undefined) continue;
      const suffix = `/node_modules/${file.name}`;
      for (const [path, loaded] of Object.entries(cache)) {
        if (!loaded || !path.replaceAll('\\', '/').endsWith(suffix)) continue;
        const packageDir = path.slice(0, path.length - file.name.length + definition.name.length);
        const version = packageVersion(packageDir);
        if (!version) continue;
        if (!satisfies(version, definition.supportedVersions)) continue;
        if (!satisfies(version, file.supportedVersions)) continue;
        definition.moduleVersion = version;
        file.moduleExports = loaded.exports;
        file.patch(loaded.exports, version);
      }
    }
  }
}

function packageVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Whether `version` satisfies any of the ranges, each space-separated comparators (`>=6.4.0 <8`),
 * as instrumentations write them.
 */
function satisfies(version: string, ranges: string[]): boolean {
  const parsed = parseVersion(version);
  if (!parsed) return false;
  return ranges.some((range) =>
    range
      .trim()
      .split(/\s+/)
      .every((comparator) => {
        if (comparator === '*' || comparator === '') return true;
        const match = /^(>=|<=|>|<|=)?v?(\d+(?:\.\d+){0,2})$/.exec(comparator);
        const bound = match?.[2] ? parseVersion(match[2]) : undefined;
        if (!bound) return false;
        const order = compare(parsed, bound);
        switch (match?.[1]) {
          case '>=':
            return order >= 0;
          case '<=':
            return order <= 0;
          case '>':
            return order > 0;
          case '<':
            return order < 0;
          default:
            return order === 0;
        }
      }),
  );
}

function parseVersion(version: string): [number, number, number] | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function compare(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

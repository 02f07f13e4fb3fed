import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { IMetricReader, MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
// A type only: the instrumentations' modules are loaded when they are used.
import type { Instrumentations } from './instrumentation.ts';

export type Telemetry = {
  /** Where Prometheus scrapes this process (`http://host:port/metrics`) when METRICS_PORT is set. */
  metricsUrl?: string;
  /** Flushes and stops exporting; the process's globals are released for another start. */
  shutdown(): Promise<void>;
};

export type TelemetryOptions = {
  /** More span processors, e.g. a test's in-memory exporter. */
  spanProcessors?: SpanProcessor[];
  /** More metric readers, e.g. a test's in-memory reader. */
  metricReaders?: IMetricReader[];
};

/** OTEL_METRIC_EXPORT_INTERVAL's default, as the specification has it. */
const DEFAULT_EXPORT_INTERVAL_MS = 60_000;

/**
 * Starts the process's telemetry.
 * - Traces: the event bus's producer and consumer spans always exist (their ids go into logs and
 *   message headers). They are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the
 *   traces variant) is set, unless OTEL_TRACES_EXPORTER is "none". With nothing to export them
 *   to, a trace this process starts is not sampled: its spans keep their ids (logs and
 *   `traceparent` still carry them) but record nothing, which under load was 7% of what the
 *   process allocated. A trace an upstream caller sampled is still recorded, and passed on as
 *   sampled.
 * - Metrics are recorded only when something reads them: OTLP/HTTP when
 *   OTEL_EXPORTER_OTLP_ENDPOINT (or the metrics variant) is set and OTEL_METRICS_EXPORTER is not
 *   "none" (every OTEL_METRIC_EXPORT_INTERVAL ms, default 60000), a Prometheus endpoint on
 *   METRICS_PORT, or a reader in `options`; otherwise the metrics API stays a no-op.
 * - Instrumentations (HTTP server spans from @fastify/otel, MongoDB and fetch client spans, and
 *   their metrics) are loaded when spans or metrics leave the process by any of those ways.
 * Only what is used is loaded — not the whole Node SDK, and neither the metrics SDK nor the
 * instrumentations by default — which keeps every service's resident memory tens of MB smaller.
 * No loader flag is needed (see instrumentation.ts for how the MongoDB driver gets patched).
 *
 * One process has one telemetry: a second start replaces the first's providers.
 */
export async function startTelemetry(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
  options: TelemetryOptions = {},
): Promise<Telemetry> {
  const resource = resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName });

  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  const otlp = (signal: 'TRACES' | 'METRICS') =>
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]) &&
    env[`OTEL_${signal}_EXPORTER`] !== 'none';
  if (otlp('TRACES')) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  }
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors,
    ...(spanProcessors.length === 0
      ? { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) }
      : {}),
  });

  const readers: IMetricReader[] = [...(options.metricReaders ?? [])];
  if (otlp('METRICS')) {
    const [{ OTLPMetricExporter }, { PeriodicExportingMetricReader }] = await Promise.all([
      import('@opentelemetry/exporter-metrics-otlp-http'),
      import('@opentelemetry/sdk-metrics'),
    ]);
    const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL) || DEFAULT_EXPORT_INTERVAL_MS;
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(30_000, interval),
      }),
    );
  }
  let metricsUrl: string | undefined;
  const metricsPort = metricsPortOf(env);
  if (metricsPort !== undefined) {
    const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
    const host = env.HOST || '127.0.0.1';
    const exporter = new PrometheusExporter({
      host,
      port: metricsPort,
      preventServerStart: true,
      // service_name on every series: one scrape config serves every service.
      withResourceConstantLabels: /^service\.name$/,
    });
    // Fails the start (EADDRINUSE, say) instead of running without the endpoint.
    await exporter.startServer();
    readers.push(exporter);
    metricsUrl = `http://${host.includes(':') ? `[${host}]` : host}:${metricsPort}/metrics`;
  }
  let meterProvider: MeterProvider | undefined;
  if (readers.length > 0) {
    const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
    meterProvider = new MeterProvider({ resource, readers });
  }
  const instrumented =
    spanProcessors.length > 0 || meterProvider
      ? (await import('./instrumentation.ts')).enableInstrumentations()
      : activeInstrumentations();

  // A context manager and propagator already installed (an earlier start) do the same job.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.disable();
  trace.setGlobalTracerProvider(tracerProvider);
  instrumented?.setTracerProvider(tracerProvider);
  metrics.disable();
  if (meterProvider) {
    metrics.setGlobalMeterProvider(meterProvider);
    instrumented?.setMeterProvider(meterProvider);
  }

  return {
    ...(metricsUrl ? { metricsUrl } : {}),
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider?.shutdown()]);
      if (meterProvider && metrics.getMeterProvider() === meterProvider) metrics.disable();
      if (isCurrentTracerProvider(tracerProvider)) trace.disable();
    },
  };
}

// The instrumentations, once enabled: one set per process, even when this module is evaluated
// more than once (test runners).
const INSTRUMENTATIONS_KEY = Symbol.for('uplink.kit.instrumentations');
type WithInstrumentations = { [INSTRUMENTATIONS_KEY]?: Instrumentations };

/** The process's instrumentations when telemetry enabled them (createHttpApp asks). */
export function activeInstrumentations(): Instrumentations | undefined {
  return (globalThis as WithInstrumentations)[INSTRUMENTATIONS_KEY];
}

export function setActiveInstrumentations(instrumentations: Instrumentations): void {
  (globalThis as WithInstrumentations)[INSTRUMENTATIONS_KEY] = instrumentations;
}

/** The global tracer provider is a proxy: whether it delegates to `provider`. */
function isCurrentTracerProvider(provider: TracerProvider): boolean {
  const global = trace.getTracerProvider() as { getDelegate?: () => unknown };
  return global.getDelegate?.() === provider;
}

/**
 * METRICS_PORT as a number, when it is one (config validation names a bad value: CommonEnv has
 * the variable too).
 */
function metricsPortOf(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.METRICS_PORT;
  if (raw === undefined || raw === '' || !/^\d+$/.test(raw)) return undefined;
  const port = Number(raw);
  return port >= 1 && port <= 65_535 ? port : undefined;
}

import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export type Telemetry = { shutdown(): Promise<void> };

/**
 * Starts tracing: spans always exist (their ids go into logs and message headers); they are
 * exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces variant) is set. Only
 * the tracer, the async context and the W3C propagator are loaded — not the whole Node SDK with
 * its metrics, logs and instrumentations — and the exporter only when it is used: every
 * service's resident memory is smaller by tens of MB.
 */
export async function startTelemetry(serviceName: string, env = process.env): Promise<Telemetry> {
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const spanProcessors = [];
  if (exporting) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName }),
    spanProcessors,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return { shutdown: () => provider.shutdown() };
}

import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';

export type Telemetry = { shutdown(): Promise<void> };

/**
 * Starts the OpenTelemetry SDK: spans always exist (their ids go into logs and message
 * headers); they are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces
 * variant) is set. Call it before anything else so instrumentations see every module.
 */
export function startTelemetry(serviceName: string, env = process.env): Telemetry {
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceName,
    spanProcessors: exporting ? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })] : [],
    instrumentations: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

// Telemetry for tests: the process's real setup (startTelemetry: instrumentations, providers,
// propagation), with spans kept in memory and metrics read on demand.
import { type Attributes, SpanKind } from '@opentelemetry/api';
import { DataPointType, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTelemetry, type Telemetry } from '@uplink/kit';

export type { ReadableSpan };
export { SpanKind };

/** One data point as collected: a counter's or gauge's value, or a histogram's count and sum. */
export type MetricPoint = {
  name: string;
  unit: string;
  attributes: Attributes;
  value: number;
  /** Histograms only. */
  count?: number;
};

export type TestTelemetry = Telemetry & {
  /** Spans ended so far. */
  spans(): ReadableSpan[];
  /** Every data point of every metric now (observable gauges are read at this moment). */
  collect(): Promise<MetricPoint[]>;
};

/** Collects when asked, as a scrape would. */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Starts the process's telemetry (replacing any) with an in-memory span exporter and metric reader. */
export async function startTestTelemetry(
  serviceName = 'test',
  env: NodeJS.ProcessEnv = {},
): Promise<TestTelemetry> {
  const exporter = new InMemorySpanExporter();
  const reader = new OnDemandReader();
  const telemetry = await startTelemetry(serviceName, env, {
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    metricReaders: [reader],
  });
  return {
    ...telemetry,
    spans: () => exporter.getFinishedSpans(),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
      const points: MetricPoint[] = [];
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          const { name, unit } = metric.descriptor;
          for (const point of metric.dataPoints) {
            if (metric.dataPointType === DataPointType.HISTOGRAM) {
              const histogram = point.value as { count: number; sum?: number };
              points.push({
                name,
                unit,
                attributes: point.attributes,
                value: histogram.sum ?? 0,
                count: histogram.count,
              });
            } else if (typeof point.value === 'number') {
              points.push({ name, unit, attributes: point.attributes, value: point.value });
            }
          }
        }
      }
      return points;
    },
  };
}

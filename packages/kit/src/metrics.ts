// The metrics every service records alike (HTTP, sweeps) and the plumbing the others use
// (serviceInstruments, withObserveTimeout: the event bus's, each service's own), through the
// OpenTelemetry metrics API. Until startTelemetry installs a meter provider (it does when
// metrics are exported or scraped) the API's no-op
// provider takes them, at no cost. Names as OTLP carries them; the Prometheus endpoint turns dots
// into underscores and adds `_total` to counters (http_server_request_duration_{bucket,sum,count}).
import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
} from '@opentelemetry/api';

export const METER_NAME = '@uplink/kit';

export const MetricNames = {
  /** Histogram, seconds: http.request.method, http.route, http.response.status_code, error.type. */
  httpServerDuration: 'http.server.request.duration',
  /** Counter: sweep. Items a periodic sweep could not handle; each is tried again on the next run. */
  sweepFailures: 'uplink.sweep.failures',
} as const;

/** Methods recorded as they are; any other is "_OTHER" (clients choose methods: no cardinality). */
const HTTP_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/** Semantic conventions' buckets for HTTP durations, in seconds. */
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

type KitInstruments = {
  meter: Meter;
  httpServerDuration: Histogram;
  sweepFailures: Counter;
};

/**
 * `create`'s instruments on the meter provider installed now, made on the meter `meterName`.
 * Made again when the provider changes (telemetry started after the module that records was
 * loaded, or a test installed its own reader). A service keeps its own metrics with this.
 */
export function serviceInstruments<T>(meterName: string, create: (meter: Meter) => T): () => T {
  let current: { provider: MeterProvider; instruments: T } | undefined;
  return () => {
    const provider = metrics.getMeterProvider();
    if (current?.provider !== provider) {
      current = { provider, instruments: create(provider.getMeter(meterName)) };
    }
    return current.instruments;
  };
}

const kitMetrics = serviceInstruments(
  METER_NAME,
  (meter): KitInstruments => ({
    meter,
    httpServerDuration: meter.createHistogram(MetricNames.httpServerDuration, {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS },
    }),
    sweepFailures: meter.createCounter(MetricNames.sweepFailures, {
      description: 'Items a periodic sweep could not handle (tried again on its next run), by sweep.',
      unit: '{item}',
    }),
  }),
);

/**
 * One HTTP request answered, or given up by its client before the answer began (no status code;
 * `error.type` "aborted"). 5xx answers carry `error.type` too, as the conventions have it.
 */
export function recordHttpRequest(
  seconds: number,
  attributes: { method: string; route: string | undefined; statusCode: number | undefined },
): void {
  const { method, route, statusCode } = attributes;
  const recorded: Attributes = { 'http.request.method': HTTP_METHODS.has(method) ? method : '_OTHER' };
  if (route) recorded['http.route'] = route;
  if (statusCode === undefined) recorded['error.type'] = 'aborted';
  else {
    recorded['http.response.status_code'] = statusCode;
    if (statusCode >= 500) recorded['error.type'] = String(statusCode);
  }
  kitMetrics().httpServerDuration.record(seconds, recorded);
}

/** One item a sweep skipped after a failure: the rest of the run went on without it. */
export function recordSweepFailure(sweep: string): void {
  kitMetrics().sweepFailures.add(1, { sweep });
}

/** How long a gauge callback waits for its source: no new observation this time rather than a stall. */
const OBSERVE_TIMEOUT_MS = 5_000;

/** `work` for a gauge callback: rejected when its source has not answered in time. */
export function withObserveTimeout<T>(work: Promise<T>): Promise<T> {
  return withTimeout(work, OBSERVE_TIMEOUT_MS);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

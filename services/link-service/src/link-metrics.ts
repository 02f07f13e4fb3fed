// link-service's own metric: how many links there are, by status.
import type { BatchObservableCallback } from '@opentelemetry/api';
import { serviceInstruments, type Worker, withObserveTimeout } from '@uplink/kit';

/** Gauge: status. Links by stored status. */
export const LINKS_METRIC = 'uplink.links';

const linkMetrics = serviceInstruments('@uplink/link-service', (meter) => ({
  meter,
  links: meter.createObservableGauge(LINKS_METRIC, {
    description: 'Links by stored status.',
    unit: '{link}',
  }),
}));

/**
 * Reports links by status while the worker runs. The counts come from one aggregate query, run
 * at most once per `maxAgeMs` however often metrics are collected (each scrape or export
 * interval); in between, collections see the last counts.
 */
export function linkStatusGauge(
  countByStatus: () => Promise<Record<string, number>>,
  options: { maxAgeMs?: number } = {},
): Worker {
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  let last: { at: number; counts: Record<string, number> } | undefined;
  let reading: Promise<void> | undefined;
  const refresh = async () => {
    const counts = await withObserveTimeout(countByStatus());
    last = { at: Date.now(), counts };
  };
  let stop: (() => void) | undefined;
  return {
    name: 'links gauge',
    start() {
      const { meter, links } = linkMetrics();
      const callback: BatchObservableCallback = async (result) => {
        if (!last || Date.now() - last.at >= maxAgeMs) {
          reading ??= refresh()
            .catch(() => {}) // Keep the last counts; the next collection tries again.
            .finally(() => {
              reading = undefined;
            });
          await reading;
        }
        for (const [status, count] of Object.entries(last?.counts ?? {})) {
          result.observe(links, count, { status });
        }
      };
      meter.addBatchObservableCallback(callback, [links]);
      stop = () => meter.removeBatchObservableCallback(callback, [links]);
    },
    async stop() {
      stop?.();
      stop = undefined;
    },
  };
}

import { startTestTelemetry, type TestTelemetry } from '@uplink/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINKS_METRIC, linkStatusGauge } from './link-metrics.ts';

let telemetry: TestTelemetry;
beforeAll(async () => {
  telemetry = await startTestTelemetry('link-metrics-test');
});
afterAll(() => telemetry?.shutdown());

const points = async (name: string) => (await telemetry.collect()).filter((p) => p.name === name);

describe('the links gauge', () => {
  it('queries the link counts at most once per maxAgeMs, and keeps the last ones when a query fails', async () => {
    let queries = 0;
    let failing = false;
    const gauge = linkStatusGauge(
      async () => {
        queries++;
        if (failing) throw new Error('database down');
        return { pending: queries, delivered: 7 };
      },
      { maxAgeMs: 300 },
    );
    gauge.start();
    try {
      const first = await points(LINKS_METRIC);
      expect(first.map((p) => [p.attributes.status, p.value])).toEqual([
        ['pending', 1],
        ['delivered', 7],
      ]);
      await points(LINKS_METRIC);
      expect(queries).toBe(1);

      await new Promise((resolve) => setTimeout(resolve, 350));
      failing = true;
      const stale = await points(LINKS_METRIC);
      expect(queries).toBe(2);
      expect(stale.find((p) => p.attributes.status === 'pending')?.value).toBe(1);
    } finally {
      await gauge.stop();
    }
    // Stopped: no more queries.
    await new Promise((resolve) => setTimeout(resolve, 350));
    await points(LINKS_METRIC);
    expect(queries).toBe(2);
  });
});

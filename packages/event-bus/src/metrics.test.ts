import { startTestTelemetry, type TestTelemetry } from '@uplink/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerState } from './bus.ts';
import { EventMetricNames, observeConsumerState } from './metrics.ts';

let telemetry: TestTelemetry;
beforeAll(async () => {
  telemetry = await startTestTelemetry('event-metrics-test');
});
afterAll(() => telemetry?.shutdown());

const points = async (name: string) => (await telemetry.collect()).filter((p) => p.name === name);

describe('event bus metrics', () => {
  it('observes no backlog while the bus does not answer, and the backlog once it does', async () => {
    let state: Promise<ConsumerState> = Promise.reject(new Error('no connection'));
    state.catch(() => {});
    const stop = observeConsumerState({ consumerState: () => state }, 'relay');
    try {
      expect(await points(EventMetricNames.consumerPending)).toEqual([]);
      state = Promise.resolve({ pending: 3, redelivered: 1 });
      expect((await points(EventMetricNames.consumerPending)).map((p) => [p.attributes, p.value])).toEqual([
        [{ consumer: 'relay' }, 3],
      ]);
      expect((await points(EventMetricNames.consumerRedelivered))[0]?.value).toBe(1);
    } finally {
      stop();
    }
  });
});

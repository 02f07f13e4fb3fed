import { startTestTelemetry, type TestTelemetry } from '@uplink/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerState } from './bus.ts';
import { MetricNames, observeConsumerState, recordHttpRequest } from './metrics.ts';

let telemetry: TestTelemetry;
beforeAll(async () => {
  telemetry = await startTestTelemetry('metrics-test');
});
afterAll(() => telemetry?.shutdown());

const points = async (name: string) => (await telemetry.collect()).filter((p) => p.name === name);

describe('metrics', () => {
  it('observes no backlog while the bus does not answer, and the backlog once it does', async () => {
    let state: Promise<ConsumerState> = Promise.reject(new Error('no connection'));
    state.catch(() => {});
    const stop = observeConsumerState({ consumerState: () => state }, 'relay');
    try {
      expect(await points(MetricNames.consumerPending)).toEqual([]);
      state = Promise.resolve({ pending: 3, redelivered: 1 });
      expect((await points(MetricNames.consumerPending)).map((p) => [p.attributes, p.value])).toEqual([
        [{ consumer: 'relay' }, 3],
      ]);
      expect((await points(MetricNames.consumerRedelivered))[0]?.value).toBe(1);
    } finally {
      stop();
    }
  });

  it('records HTTP durations without letting clients choose label values', async () => {
    recordHttpRequest(0.02, { method: 'BREW', route: undefined, statusCode: 404 });
    recordHttpRequest(0.5, { method: 'GET', route: '/v1/links/:id', statusCode: 503 });
    recordHttpRequest(1.5, {
      method: 'GET',
      route: '/v1/tickets/:provider/:ticketId/links/stream',
      statusCode: undefined,
    });
    const recorded = (await points(MetricNames.httpServerDuration)).map((p) => p.attributes);
    expect(recorded).toEqual([
      { 'http.request.method': '_OTHER', 'http.response.status_code': 404 },
      {
        'http.request.method': 'GET',
        'http.route': '/v1/links/:id',
        'http.response.status_code': 503,
        'error.type': '503',
      },
      {
        'http.request.method': 'GET',
        'http.route': '/v1/tickets/:provider/:ticketId/links/stream',
        'error.type': 'aborted',
      },
    ]);
  });
});

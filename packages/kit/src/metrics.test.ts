import { startTestTelemetry, type TestTelemetry } from '@uplink/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricNames, recordHttpRequest } from './metrics.ts';

let telemetry: TestTelemetry;
beforeAll(async () => {
  telemetry = await startTestTelemetry('metrics-test');
});
afterAll(() => telemetry?.shutdown());

const points = async (name: string) => (await telemetry.collect()).filter((p) => p.name === name);

describe('metrics', () => {
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

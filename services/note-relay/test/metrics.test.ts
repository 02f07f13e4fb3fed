// The metrics after real traffic: the gateway, note-relay and link-service (for the links gauge)
// on shared servers, two uploads (one delivered to Freshdesk after a 503, one failing for want of
// a destination), read both from an in-memory reader and from the Prometheus endpoint.
import { freePort } from '@uplink/dev-servers';
import { prepareService, type Service, startWorkers, stopWorkers, systemClock } from '@uplink/kit';
import { buildLinkService } from '@uplink/link-service';
import { type FreshdeskDouble, startFreshdeskDouble } from '@uplink/saas-doubles';
import {
  eventually,
  type MetricPoint,
  pdfBytes,
  startTestTelemetry,
  type TestTelemetry,
} from '@uplink/testing';
import { type NoteRelayHarness, noteRelayHarness } from '@uplink/testing/note-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TICKET = 6160;
const COMPLETE_ROUTE = '/u/:token/uploads/:uploadId/complete';

let telemetry: TestTelemetry;
let h: NoteRelayHarness;
let freshdesk: FreshdeskDouble;
let linkService: Service;
let points: MetricPoint[];
let scraped: string;

beforeAll(async () => {
  telemetry = await startTestTelemetry('uplink-test', {
    HOST: '127.0.0.1',
    METRICS_PORT: String(await freePort()),
  });
  [h, freshdesk] = await Promise.all([
    noteRelayHarness(),
    startFreshdeskDouble({ tickets: [{ id: TICKET }] }),
  ]);
  // Freshdesk only: a Twilio Flex link fails for want of a destination.
  await h.setDestinations({ freshdesk: { baseUrl: freshdesk.url, apiKey: freshdesk.apiKey } });
  linkService = await buildLinkService({
    config: { PUBLIC_UPLOAD_BASE_URL: `${h.gateway.baseUrl}/u/` },
    logger: h.infra.logger,
    store: await h.infra.store(),
    bus: h.bus,
    clock: systemClock,
  });
  await prepareService(linkService);
  await startWorkers(linkService);

  // Traffic: a delivery that needs a second attempt, a failed one, and a 404.
  freshdesk.injectFaults({ type: 'server-error', status: 503 });
  const delivered = await h.upload({ provider: 'freshdesk', id: String(TICKET) }, pdfBytes(100));
  const failed = await h.upload({ provider: 'twilio-flex', id: 'WT0001' }, pdfBytes(100));
  expect((await h.settled(delivered.linkId)).status).toBe('delivered');
  expect((await h.settled(failed.linkId)).status).toBe('delivery_failed');
  expect((await fetch(`${h.gateway.baseUrl}/no/such/route`)).status).toBe(404);
  expect((await fetch(`${h.gateway.baseUrl}/u/some-token/uploads`, { method: 'DELETE' })).status).toBe(405);
  // A link is settled before its handler returns and the message is acked (and counted). Three
  // outbox relays share these links (gateway, relay, link-service) and their sweeps re-publish
  // entries not yet marked sent: JetStream drops those repeats, counted as `duplicate`, so only
  // `published` outcomes are certain.
  points = await eventually(
    'every outcome counted',
    async () => {
      const collected = await telemetry.collect();
      const total = (name: string, attributes: Record<string, string>) =>
        collected
          .filter(
            (p) => p.name === name && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
          )
          .reduce((sum, p) => sum + p.value, 0);
      const done =
        total('uplink.events.consumed', { outcome: 'ack' }) === 2 &&
        total('uplink.events.published', { subject: 'note.posted', outcome: 'published' }) === 1 &&
        total('uplink.events.published', { subject: 'note.failed', outcome: 'published' }) === 1;
      return done ? collected : undefined;
    },
    30_000,
  );
  if (!telemetry.metricsUrl) throw new Error('no Prometheus endpoint: METRICS_PORT was not used');
  const response = await fetch(telemetry.metricsUrl);
  expect(response.status).toBe(200);
  scraped = await response.text();
}, 90_000);
afterAll(async () => {
  if (linkService) {
    await stopWorkers(linkService);
    await linkService.app.close();
  }
  await freshdesk?.stop();
  await telemetry?.shutdown();
});

/** The data points of `name` whose attributes include `attributes`. */
const find = (name: string, attributes: Record<string, string | number> = {}) =>
  points.filter(
    (p) => p.name === name && Object.entries(attributes).every(([key, value]) => p.attributes[key] === value),
  );
const pointValue = (name: string, attributes: Record<string, string | number>) => {
  const matches = find(name, attributes);
  expect(matches, `${name} ${JSON.stringify(attributes)}`).toHaveLength(1);
  return matches[0]?.value;
};

describe('metrics after traffic', () => {
  it('times HTTP requests per route, method and status code', () => {
    const completions = find('http.server.request.duration', {
      'http.route': COMPLETE_ROUTE,
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    expect(completions).toHaveLength(1);
    expect(completions[0]?.count).toBe(2);
    expect(completions[0]?.unit).toBe('s');
    expect(completions[0]?.value).toBeGreaterThan(0);
    expect(completions[0]?.value).toBeLessThan(30);
    const intents = find('http.server.request.duration', {
      'http.route': '/u/:token/uploads',
      'http.response.status_code': 201,
    });
    expect(intents[0]?.count).toBe(2);
    // No route matched: no http.route (never the raw path).
    const notFound = find('http.server.request.duration', { 'http.response.status_code': 404 });
    expect(notFound).toHaveLength(1);
    expect(notFound[0]?.attributes['http.route']).toBeUndefined();
    // A known path's missing method: counted, also without a route.
    const notAllowed = find('http.server.request.duration', { 'http.response.status_code': 405 });
    expect(notAllowed.map((p) => [p.count, p.attributes['http.route']])).toEqual([[1, undefined]]);
  });

  it('counts events published and consumed by subject and outcome', () => {
    expect(pointValue('uplink.events.published', { subject: 'upload.completed', outcome: 'published' })).toBe(
      2,
    );
    expect(pointValue('uplink.events.published', { subject: 'note.posted', outcome: 'published' })).toBe(1);
    expect(pointValue('uplink.events.published', { subject: 'note.failed', outcome: 'published' })).toBe(1);
    const consumed = { subject: 'upload.completed', consumer: 'note-relay' };
    expect(pointValue('uplink.events.consumed', { ...consumed, outcome: 'ack' })).toBe(2);
    expect(pointValue('uplink.events.consumed', { ...consumed, outcome: 'retry' })).toBe(1);
    expect(find('uplink.events.consumed', { outcome: 'dead_lettered' })).toEqual([]);
  });

  it("reports the consumer's backlog: nothing pending or redelivered once all is settled", () => {
    expect(pointValue('uplink.consumer.pending', { consumer: 'note-relay' })).toBe(0);
    expect(pointValue('uplink.consumer.redelivered', { consumer: 'note-relay' })).toBe(0);
  });

  it('counts deliveries by destination and outcome', () => {
    expect(pointValue('uplink.deliveries', { destination: 'freshdesk', outcome: 'retry' })).toBe(1);
    expect(pointValue('uplink.deliveries', { destination: 'freshdesk', outcome: 'posted' })).toBe(1);
    expect(pointValue('uplink.deliveries', { destination: 'twilio-flex', outcome: 'failed' })).toBe(1);
  });

  it('reports links by status, every status present', () => {
    const byStatus = Object.fromEntries(
      find('uplink.links').map((p) => [p.attributes.status, p.value] as const),
    );
    expect(byStatus).toEqual({
      pending: 0,
      expired: 0,
      revoked: 0,
      received: 0,
      delivered: 1,
      delivery_failed: 1,
    });
  });

  it('has the instrumentations’ client metrics too: fetch durations', () => {
    const posts = find('http.client.request.duration', {
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
    });
    expect(posts.reduce((n, p) => n + (p.count ?? 0), 0)).toBeGreaterThanOrEqual(2);
  });

  it('serves the same on the Prometheus endpoint, labelled with the service name', () => {
    const line = (pattern: RegExp) => scraped.split('\n').find((l) => pattern.test(l));
    const completions = line(
      /^http_server_request_duration_count\{.*http_route="\/u\/:token\/uploads\/:uploadId\/complete".*\} 2$/,
    );
    expect(completions, scraped).toBeDefined();
    expect(completions).toContain('service_name="uplink-test"');
    expect(completions).toContain('http_response_status_code="200"');
    expect(line(/^uplink_events_consumed_total\{.*outcome="ack".*\} 2$/)).toBeDefined();
    expect(
      line(/^uplink_deliveries_total\{.*destination="freshdesk".*outcome="posted".*\} 1$/),
    ).toBeDefined();
    expect(line(/^uplink_consumer_pending\{.*consumer="note-relay".*\} 0$/)).toBeDefined();
    expect(line(/^uplink_links\{.*status="delivered".*\} 1$/)).toBeDefined();
    expect(scraped).toMatch(/^# HELP uplink_deliveries_total /m);
  });
});

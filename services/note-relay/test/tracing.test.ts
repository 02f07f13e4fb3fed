// One trace from the customer's completion request to the Freshdesk note: the gateway's HTTP
// server span, its MongoDB spans, the outbox's publish, note-relay's consume and its fetch to
// Freshdesk, tied together by span ids (in process, in the request's context, and through the
// message headers).

import { type FreshdeskDouble, startFreshdeskDouble } from '@uplink/saas-doubles';
import {
  eventually,
  itOnServers,
  pdfBytes,
  type ReadableSpan,
  SpanKind,
  startTestTelemetry,
  type TestTelemetry,
} from '@uplink/testing';
import { type NoteRelayHarness, noteRelayHarness } from '@uplink/testing/note-relay';
import { afterAll, beforeAll, expect } from 'vitest';

const TICKET = 5150;
const COMPLETE_ROUTE = '/u/:token/uploads/:uploadId/complete';

let telemetry: TestTelemetry;
let h: NoteRelayHarness;
let freshdesk: FreshdeskDouble;

beforeAll(async () => {
  // Before the services are built: their HTTP apps register @fastify/otel with these providers.
  telemetry = await startTestTelemetry('uplink-test');
  [h, freshdesk] = await Promise.all([
    noteRelayHarness(),
    startFreshdeskDouble({ tickets: [{ id: TICKET }] }),
  ]);
  await h.setDestinations({ freshdesk: { baseUrl: freshdesk.url, apiKey: freshdesk.apiKey } });
}, 60_000);
afterAll(async () => {
  await freshdesk?.stop();
  await telemetry?.shutdown();
});

const id = (span: ReadableSpan | undefined) => span?.spanContext().spanId;
const parentId = (span: ReadableSpan | undefined) => span?.parentSpanContext?.spanId;

/** The span's ancestors among the finished spans, nearest first. */
function ancestors(span: ReadableSpan, spans: ReadableSpan[]): ReadableSpan[] {
  const byId = new Map(spans.map((s) => [id(s), s]));
  const chain: ReadableSpan[] = [];
  for (let next = byId.get(parentId(span)); next; next = byId.get(parentId(next))) chain.push(next);
  return chain;
}

itOnServers("follows MongoDB's client spans")(
  'follows an upload in one trace: completion request, MongoDB, publish, consume, Freshdesk POST',
  async () => {
    const { linkId } = await h.upload({ provider: 'freshdesk', id: String(TICKET) }, pdfBytes(2000));
    expect((await h.settled(linkId)).status).toBe('delivered');
    const notesUrl = `${freshdesk.url}/api/v2/tickets/${TICKET}/notes`;
    const isNotePost = (s: ReadableSpan) =>
      s.kind === SpanKind.CLIENT && s.attributes['url.full'] === notesUrl;
    await eventually('the span of the POST to Freshdesk', () => telemetry.spans().some(isNotePost));
    const spans = telemetry.spans();

    // The customer's completion request: a SERVER span from @fastify/otel, named by its route.
    const server = spans.find(
      (s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === COMPLETE_ROUTE,
    );
    expect(server).toBeDefined();
    if (!server) return;
    const traceId = server.spanContext().traceId;
    expect(server.name).toBe(`POST ${COMPLETE_ROUTE}`);
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    // The link token is a credential: cut short in url.path, as in the logs.
    expect(server.attributes['url.path']).toMatch(/^\/u\/[\w-]{6}…\/uploads\/upl_\w+\/complete$/);
    // The test's own fetch has no span around it (fetch spans need a parent): the request is the root.
    expect(server.parentSpanContext).toBeUndefined();
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const within = (s: ReadableSpan) => ancestors(s, inTrace).includes(server);

    // Its route handler (@fastify/otel), in whose context the request's work runs.
    const handler = inTrace.find((s) => parentId(s) === id(server) && s.name === `handler ${COMPLETE_ROUTE}`);
    expect(handler?.kind).toBe(SpanKind.INTERNAL);

    // MongoDB client spans of the request, children of the handler's span: the link found by its
    // token, and the transition pending -> received (a findAndModify; the instrumentation names
    // its collection "$cmd", the command's namespace).
    const mongo = inTrace.filter(
      (s) => s.kind === SpanKind.CLIENT && s.attributes['db.system.name'] === 'mongodb',
    );
    const mongoInRequest = mongo.filter((s) => parentId(s) === id(handler));
    expect(mongoInRequest.every(within)).toBe(true);
    expect(mongoInRequest.map((s) => s.name)).toContain('find links');
    const transition = mongoInRequest.find((s) => s.attributes['db.operation.name'] === 'findAndModify');
    expect(transition?.attributes).toMatchObject({ 'db.namespace': h.infra.servers().mongo.db.databaseName });
    expect(String(transition?.attributes['db.query.text'])).toContain('"status"');

    // The outbox's publish: a PRODUCER span whose parent is the context the transition was made in
    // (the route handler's span), kept with the outbox entry.
    const publish = inTrace.find((s) => s.name === 'publish upload.completed');
    expect(publish?.kind).toBe(SpanKind.PRODUCER);
    expect(parentId(publish)).toBe(id(handler));
    expect(publish?.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'upload.completed',
      'messaging.message.id': `${linkId}:upload.completed`,
    });

    // note-relay's consume: a CONSUMER span, the publish span's child through the message headers.
    const consume = inTrace.find((s) => s.name === 'process upload.completed');
    expect(consume?.kind).toBe(SpanKind.CONSUMER);
    expect(parentId(consume)).toBe(id(publish));
    expect(consume?.links ?? []).toEqual([]);
    expect(consume?.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'upload.completed',
      'messaging.consumer.group.name': 'note-relay',
    });

    // The note's POST to Freshdesk: an undici CLIENT span, the consumer span's child.
    const post = inTrace.find(isNotePost);
    expect(post?.name).toBe('POST');
    expect(parentId(post)).toBe(id(consume));
    expect(post?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(freshdesk.url).port),
      'http.response.status_code': 201,
    });

    // The relay's own MongoDB work (claim, mark delivered) is in the same trace, under the consumer.
    const relayMongo = mongo.filter((s) => ancestors(s, inTrace).includes(consume as ReadableSpan));
    expect(relayMongo.length).toBeGreaterThan(0);

    // The logs of both hops carry the trace: from a log line to the trace, and back.
    const spanIds = new Set(inTrace.map(id));
    const logged = h.infra.logs.filter((line) => line.trace_id === traceId);
    expect(logged.every((line) => spanIds.has(line.span_id as string))).toBe(true);
    // The gateway's lines are logged in its route handler's span (the request line itself comes
    // before @fastify/otel has started the trace).
    expect(logged.find((line) => line.msg === 'submission received')).toMatchObject({
      linkId,
      span_id: id(handler),
    });
    const completed = logged.find((line) => line.msg === 'request completed' && line.span_id === id(handler));
    expect(completed?.res).toMatchObject({ statusCode: 200 });
    const delivered = logged.find((line) => line.msg === 'file delivered');
    expect(delivered).toMatchObject({
      type: 'delivery',
      linkId,
      provider: 'freshdesk',
      span_id: id(consume),
    });
  },
);

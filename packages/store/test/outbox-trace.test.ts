// One trace across the outbox, kept in MongoDB: the request that made a transition, the JetStream
// publish (even when it happens later, outside the request), and the consumer that handled the event.

import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Subjects } from '@uplink/contracts';
import { type OutboxDocument, OutboxPublisher, outboxEntry, startConsumer } from '@uplink/event-bus';
import type { NatsEventBus } from '@uplink/event-bus/nats';
import { systemClock } from '@uplink/kit';
import { eventually, type ServerInfra, sampleRevokedEvent, startServerInfra } from '@uplink/testing';
import { beforeAll, expect, it } from 'vitest';
import { MongoOutboxStore } from '../src/mongo/mongo-outbox-store.ts';

const exporter = new InMemorySpanExporter();
let infra: ServerInfra;
let bus: NatsEventBus;
beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
  );
  infra = await startServerInfra();
  bus = await infra.connectBus();
});

it('carries the trace from the request through the outbox and JetStream to the consumer', async () => {
  const linkId = 'lnk_TTTTTTTTTTTTTTTTTTTT';
  const event = sampleRevokedEvent(linkId);
  const docs = infra.mongo.db.collection<OutboxDocument>('traced');

  // The request: its span is active while the transition and its outbox entry are written.
  const request = trace.getTracer('test').startSpan('DELETE /v1/links/:id', { kind: SpanKind.SERVER });
  await context.with(trace.setSpan(context.active(), request), () =>
    docs.insertOne({ _id: linkId, outbox: [outboxEntry(Subjects.linkRevoked, event, new Date())] }),
  );
  request.end();

  // Later, outside the request (as the sweep would), the entry is published.
  const publisher = new OutboxPublisher({
    store: MongoOutboxStore.of(docs),
    bus,
    logger: infra.logger,
    clock: systemClock,
  });
  await publisher.publishDocument(linkId);

  const spec = { durable: 'traced', subjects: [Subjects.linkRevoked] };
  await bus.ensureConsumer(spec);
  let handlerSpan: string | undefined;
  const consumer = startConsumer({
    bus,
    spec,
    logger: infra.logger,
    handler: async () => {
      handlerSpan = trace.getActiveSpan()?.spanContext().spanId;
    },
  });
  try {
    await eventually('handled', () => handlerSpan);
  } finally {
    await consumer.stop();
  }

  const spans = exporter.getFinishedSpans();
  const publish = spans.find((s) => s.name === `publish ${Subjects.linkRevoked}`);
  const process = spans.find((s) => s.name === `process ${Subjects.linkRevoked}`);
  const traceId = request.spanContext().traceId;
  expect(publish?.spanContext().traceId).toBe(traceId);
  expect(publish?.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
  expect(publish?.kind).toBe(SpanKind.PRODUCER);
  expect(process?.spanContext().traceId).toBe(traceId);
  expect(process?.parentSpanContext?.spanId).toBe(publish?.spanContext().spanId);
  expect(process?.kind).toBe(SpanKind.CONSUMER);
  expect(process?.attributes['messaging.consumer.group.name']).toBe('traced');
  expect(handlerSpan).toBe(process?.spanContext().spanId);
});

// With no exporter configured (npm start's default) spans record nothing, yet the trace still
// reaches the logs and travels through the bus: the ids come from the sampler's non-recording
// spans, and `traceparent` carries them, marked not sampled.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { Subjects } from '@uplink/contracts';
import { startTelemetry, type Telemetry } from '@uplink/kit';
import { captureLogger, eventually, sampleRevokedEvent } from '@uplink/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { publishEvent, startConsumer } from './events.ts';
import { SqliteEventBus } from './sqlite-bus/index.ts';
import { captureTraceContext } from './trace-context.ts';

let dir: string;
let telemetry: Telemetry;
let bus: SqliteEventBus;
beforeEach(async () => {
  telemetry = await startTelemetry('unexported-traces-test', {});
  dir = await mkdtemp(join(tmpdir(), 'uplink-unexported-traces-'));
  bus = SqliteEventBus.open(join(dir, 'events.sqlite'));
  await bus.ensureStreams();
});
afterEach(async () => {
  await bus.close();
  await telemetry.shutdown();
  await rm(dir, { recursive: true, force: true });
});

it('records no span without an exporter, yet logs and traceparent keep the trace id', async () => {
  const { logger, lines } = captureLogger();
  const spec = { durable: 'unexported', subjects: [Subjects.linkRevoked] };
  await bus.ensureConsumer(spec);
  const handled: string[] = [];
  const consumer = startConsumer({
    bus,
    spec,
    logger,
    handler: async (_event, ctx) => {
      handled.push(ctx.msg.headers.traceparent ?? '');
      ctx.logger.info('handled');
    },
  });
  try {
    const request = trace.getTracer('test').startSpan('request');
    expect(request.isRecording()).toBe(false);
    const { traceId, spanId } = request.spanContext();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('0'.repeat(32));

    // What the outbox stores with an entry: the request's context, not sampled (flags 00).
    const requestContext = captureTraceContext(trace.setSpan(context.active(), request));
    expect(requestContext.traceparent).toBe(`00-${traceId}-${spanId}-00`);
    await publishEvent(bus, Subjects.linkRevoked, sampleRevokedEvent('lnk_AAAAAAAAAAAAAAAAAAAA'), {
      msgId: 'unexported-1',
      trace: requestContext,
    });
    request.end();

    const [traceparent] = await eventually('handled', () => (handled.length > 0 ? handled : undefined));
    // The publish span's id, under the request's trace, still not sampled.
    expect(traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    expect(traceparent).not.toContain(spanId);
    const line = lines.find((l) => l.msg === 'handled');
    expect(line?.trace_id).toBe(traceId);
    expect(line?.span_id).toMatch(/^[0-9a-f]{16}$/);
  } finally {
    await consumer.stop();
  }
});

import { AckPolicy, DeliverPolicy, type JsMsg, type PubAck } from '@nats-io/jetstream';
import { nanos, headers as natsHeaders } from '@nats-io/transport-node';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  deadLetterSubject,
  Headers,
  SCHEMA_VERSION,
  STREAM_NAME,
  type Subject,
  type UplinkEvent,
  validateEvent,
} from '@uplink/contracts';
import type { Logger } from 'pino';
import type { Bus } from './nats.ts';
import { captureTraceContext, restoreTraceContext, type TraceCarrier } from './trace-context.ts';

const tracer = trace.getTracer('@uplink/kit');

export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

export type PublishOptions = { msgId: string; trace?: TraceCarrier; timeoutMs?: number };

/**
 * Publishes one event after checking it against its subject's schema. `msgId` is the
 * deterministic id of the transition, so a re-publish inside the duplicate window is dropped.
 */
export async function publishEvent(bus: Bus, subject: Subject, event: UplinkEvent, opts: PublishOptions) {
  const checked = validateEvent(subject, event);
  if (!checked.ok) throw new InvalidEventError(`${subject} event is invalid: ${checked.problems.join('; ')}`);
  const parent = restoreTraceContext(opts.trace);
  const span = tracer.startSpan(
    `publish ${subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'send',
        'messaging.destination.name': subject,
        'messaging.message.id': opts.msgId,
      },
    },
    parent,
  );
  try {
    const h = natsHeaders();
    h.set(Headers.eventType, subject);
    h.set(Headers.schemaVersion, String(SCHEMA_VERSION));
    const carrier = captureTraceContext(trace.setSpan(parent, span));
    if (carrier.traceparent) h.set('traceparent', carrier.traceparent);
    if (carrier.tracestate) h.set('tracestate', carrier.tracestate);
    const ack: PubAck = await bus.js.publish(subject, JSON.stringify(event), {
      msgID: opts.msgId,
      headers: h,
      timeout: opts.timeoutMs ?? 5_000,
    });
    span.setAttribute('messaging.nats.duplicate', ack.duplicate);
    return ack;
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}

export type ConsumerSpec = {
  /** Durable name; replicas sharing it share the work. */
  durable: string;
  subjects: Subject[];
  /** Deliveries before a message is dead-lettered. */
  maxDeliver?: number;
  /** Wait before each redelivery, by attempt; the last value repeats. */
  backoffMs?: number[];
  ackWaitMs?: number;
};

const DEFAULT_BACKOFF_MS = [1_000, 5_000, 15_000, 60_000];
const DEFAULT_MAX_DELIVER = 8;

/** Declares a durable pull consumer, or updates it to the spec. Safe to repeat. */
export async function ensureConsumer(bus: Bus, spec: ConsumerSpec): Promise<void> {
  const config = {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subjects: spec.subjects,
    max_deliver: spec.maxDeliver ?? DEFAULT_MAX_DELIVER,
    ack_wait: nanos(spec.ackWaitMs ?? 30_000),
  };
  const existing = await bus.jsm.consumers.info(STREAM_NAME, spec.durable).catch(() => undefined);
  if (existing) await bus.jsm.consumers.update(STREAM_NAME, spec.durable, config);
  else await bus.jsm.consumers.add(STREAM_NAME, config);
}

export type HandlerContext = {
  msg: JsMsg;
  logger: Logger;
  deliveryCount: number;
  /** No redelivery follows if this one fails: the handler's last chance to record an outcome. */
  isLastDelivery: boolean;
};

/** Thrown by a handler to be redelivered after `delayMs` (a destination's Retry-After, say). */
export class RetryLater extends Error {
  override name = 'RetryLater';
  readonly delayMs: number;

  constructor(delayMs: number, reason: string) {
    super(reason);
    this.delayMs = delayMs;
  }
}

export type RunningConsumer = { stop(): Promise<void> };

/**
 * Consumes a durable consumer's messages. Policy, per message:
 * - not JSON, or invalid against its subject's schema: dead-lettered with the reason, then
 *   terminated (a bad message never becomes valid by retrying);
 * - handler succeeds: ack;
 * - handler throws: nak with the backoff for this attempt; at the last allowed delivery the
 *   message is dead-lettered with the error and terminated;
 * - dead-letter publish fails: nak, so nothing is lost.
 */
export function startConsumer(opts: {
  bus: Bus;
  spec: ConsumerSpec;
  logger: Logger;
  handler: (event: UplinkEvent, ctx: HandlerContext) => Promise<void>;
  concurrency?: number;
}): RunningConsumer {
  const { bus, spec } = opts;
  const log = opts.logger.child({ type: 'consumer', consumer: spec.durable });
  const maxDeliver = spec.maxDeliver ?? DEFAULT_MAX_DELIVER;
  const backoff = spec.backoffMs ?? DEFAULT_BACKOFF_MS;
  const concurrency = opts.concurrency ?? 1;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let messages: { stop(): void } | undefined;

  async function deadLetter(msg: JsMsg, reason: string): Promise<void> {
    const h = natsHeaders();
    for (const [key, values] of msg.headers ?? []) for (const v of values) h.append(key, v);
    h.set(Headers.deadLetterReason, reason.slice(0, 1000));
    h.set(Headers.deadLetterConsumer, spec.durable);
    try {
      await bus.js.publish(deadLetterSubject(msg.subject), msg.data, {
        headers: h,
        msgID: `${spec.durable}:${msg.info.streamSequence}`,
      });
      msg.term(reason.slice(0, 200));
      log.error({ subject: msg.subject, seq: msg.info.streamSequence, reason }, 'message dead-lettered');
    } catch (err) {
      log.error({ err, subject: msg.subject }, 'dead-letter publish failed; message will be redelivered');
      msg.nak(backoff[0]);
    }
  }

  async function handle(msg: JsMsg): Promise<void> {
    let payload: unknown;
    try {
      payload = msg.json();
    } catch {
      return deadLetter(msg, 'payload is not JSON');
    }
    const checked = validateEvent(msg.subject, payload);
    if (!checked.ok) return deadLetter(msg, `invalid event: ${checked.problems.join('; ')}`);

    const carrier: TraceCarrier = {};
    const traceparent = msg.headers?.get('traceparent');
    if (traceparent) carrier.traceparent = traceparent;
    const span = tracer.startSpan(
      `process ${msg.subject}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': msg.subject,
          'messaging.consumer.group.name': spec.durable,
          'messaging.message.id': checked.value.eventId,
        },
      },
      restoreTraceContext(carrier),
    );
    const deliveryCount = msg.info.deliveryCount;
    try {
      await context.with(trace.setSpan(context.active(), span), () =>
        opts.handler(checked.value, {
          msg,
          logger: log,
          deliveryCount,
          isLastDelivery: deliveryCount >= maxDeliver,
        }),
      );
      msg.ack();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      if (deliveryCount >= maxDeliver) {
        await deadLetter(msg, `handler failed ${deliveryCount} times: ${(err as Error).message}`);
      } else {
        const delay =
          err instanceof RetryLater ? err.delayMs : backoff[Math.min(deliveryCount - 1, backoff.length - 1)];
        log.warn(
          { err, subject: msg.subject, deliveryCount, retryInMs: delay },
          'handler failed; will retry',
        );
        msg.nak(delay);
      }
    } finally {
      span.end();
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        const consumer = await bus.js.consumers.get(STREAM_NAME, spec.durable);
        const iter = await consumer.consume({ max_messages: Math.max(concurrency * 2, 16) });
        messages = iter;
        for await (const msg of iter) {
          const task = handle(msg).finally(() => inFlight.delete(task));
          inFlight.add(task);
          if (inFlight.size >= concurrency) await Promise.race(inFlight);
        }
      } catch (err) {
        if (stopped) break;
        log.warn({ err }, 'consumer interrupted; resubscribing');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      messages?.stop();
      await loop;
      await Promise.allSettled(inFlight);
    },
  };
}

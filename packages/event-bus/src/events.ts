import { setTimeout as sleep } from 'node:timers/promises';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { deadLetterSubject, Headers, type Subject, type UplinkEvent, validateEvent } from '@uplink/contracts';
import { type Logger, logFor } from '@uplink/kit';
import {
  type BusHeaders,
  type ConsumerMessage,
  type ConsumerSpec,
  DEFAULT_MAX_DELIVER,
  type EventBus,
  type PublishResult,
} from './bus.ts';
import { observeConsumerState, recordConsumed, recordPublished } from './metrics.ts';
import { captureTraceContext, restoreTraceContext, type TraceCarrier } from './trace-context.ts';

/** From the provider installed now (telemetry may start, or be replaced, after this module loads). */
const tracer = () => trace.getTracer('@uplink/event-bus');

const messagingSystem = (bus: EventBus) => (bus.kind === 'nats' ? 'nats' : 'uplink_embedded');

export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

export type PublishOptions = { msgId: string; trace?: TraceCarrier; timeoutMs?: number };

/**
 * Publishes one event after checking it against its subject's schema. `msgId` is the
 * deterministic id of the transition, so a re-publish inside the duplicate window is dropped.
 */
export async function publishEvent(
  bus: EventBus,
  subject: Subject,
  event: UplinkEvent,
  opts: PublishOptions,
): Promise<PublishResult> {
  const checked = validateEvent(subject, event);
  if (!checked.ok) throw new InvalidEventError(`${subject} event is invalid: ${checked.problems.join('; ')}`);
  const parent = restoreTraceContext(opts.trace);
  const span = tracer().startSpan(
    `publish ${subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': messagingSystem(bus),
        'messaging.operation.type': 'send',
        'messaging.destination.name': subject,
        'messaging.message.id': opts.msgId,
      },
    },
    parent,
  );
  try {
    const headers: BusHeaders = {
      [Headers.eventType]: subject,
      // The event's own version: subjects move to new versions one at a time.
      [Headers.schemaVersion]: String(event.schemaVersion),
    };
    const carrier = captureTraceContext(trace.setSpan(parent, span));
    if (carrier.traceparent) headers.traceparent = carrier.traceparent;
    if (carrier.tracestate) headers.tracestate = carrier.tracestate;
    const ack = await bus.publish(subject, JSON.stringify(event), {
      msgId: opts.msgId,
      headers,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
    span.setAttribute('messaging.uplink.duplicate', ack.duplicate);
    recordPublished(subject, ack.duplicate ? 'duplicate' : 'published');
    return ack;
  } catch (err) {
    recordPublished(subject, 'failed');
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}

export type { ConsumerSpec } from './bus.ts';

const DEFAULT_BACKOFF_MS = [1_000, 5_000, 15_000, 60_000];

/** Waits before a consumer subscribes again, by how many tries in a row found no message. */
const RESUBSCRIBE_BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

export type HandlerContext = {
  msg: ConsumerMessage;
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
  bus: EventBus;
  spec: ConsumerSpec;
  logger: Logger;
  handler: (event: UplinkEvent, ctx: HandlerContext) => Promise<void>;
  concurrency?: number;
}): RunningConsumer {
  const { bus, spec } = opts;
  const log = logFor(opts.logger, 'consumer', { consumer: spec.durable });
  const maxDeliver = spec.maxDeliver ?? DEFAULT_MAX_DELIVER;
  const backoff = spec.backoffMs ?? DEFAULT_BACKOFF_MS;
  const concurrency = opts.concurrency ?? 1;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let messages: { stop(): Promise<void> } | undefined;

  /** Copies the message to the dead-letter stream and terminates it; naks it when that fails. */
  async function deadLetter(msg: ConsumerMessage, reason: string): Promise<void> {
    const headers: BusHeaders = {
      ...msg.headers,
      [Headers.deadLetterReason]: reason.slice(0, 1000),
      [Headers.deadLetterConsumer]: spec.durable,
    };
    try {
      await bus.publish(deadLetterSubject(msg.subject), msg.data, {
        headers,
        msgId: `${spec.durable}:${msg.seq}`,
      });
      msg.term(reason.slice(0, 200));
      recordConsumed(msg.subject, spec.durable, 'dead_lettered');
      log.error({ subject: msg.subject, seq: msg.seq, reason }, 'message dead-lettered');
    } catch (err) {
      log.error({ err, subject: msg.subject }, 'dead-letter publish failed; message will be redelivered');
      msg.nak(backoff[0]);
      recordConsumed(msg.subject, spec.durable, 'retry');
    }
  }

  async function handle(msg: ConsumerMessage): Promise<void> {
    let payload: unknown;
    try {
      payload = msg.json();
    } catch {
      return deadLetter(msg, 'payload is not JSON');
    }
    const checked = validateEvent(msg.subject, payload);
    if (!checked.ok) return deadLetter(msg, `invalid event: ${checked.problems.join('; ')}`);

    // The producer's context from the headers: this span is the publish span's child.
    const carrier: TraceCarrier = {};
    const { traceparent, tracestate } = msg.headers;
    if (traceparent) carrier.traceparent = traceparent;
    if (tracestate) carrier.tracestate = tracestate;
    const span = tracer().startSpan(
      `process ${msg.subject}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': messagingSystem(bus),
          'messaging.operation.type': 'process',
          'messaging.destination.name': msg.subject,
          'messaging.consumer.group.name': spec.durable,
          'messaging.message.id': checked.value.eventId,
        },
      },
      restoreTraceContext(carrier),
    );
    const deliveryCount = msg.deliveryCount;
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
      recordConsumed(msg.subject, spec.durable, 'ack');
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
        recordConsumed(msg.subject, spec.durable, 'retry');
      }
    } finally {
      span.end();
    }
  }

  const stopObserving = observeConsumerState(bus, spec.durable);
  const stopping = new AbortController();
  const loop = (async () => {
    // Resubscribing at once after a failure, or after a subscription that ended by itself, could
    // spin against a bus that keeps refusing: each retry waits longer, until messages flow again.
    let retries = 0;
    while (!stopped) {
      try {
        const iter = await bus.consume(spec.durable, { maxInFlight: Math.max(concurrency * 2, 16) });
        messages = iter;
        // stop() came while the subscription was being opened (a worker stopped right after its
        // start): it had nothing to end then, so nothing else would end this one.
        if (stopped) {
          await iter.stop();
          break;
        }
        for await (const msg of iter) {
          retries = 0;
          const task = handle(msg).finally(() => inFlight.delete(task));
          inFlight.add(task);
          if (inFlight.size >= concurrency) await Promise.race(inFlight);
        }
        if (stopped) break;
        log.warn('consumer ended; resubscribing');
      } catch (err) {
        if (stopped) break;
        log.warn({ err }, 'consumer interrupted; resubscribing');
      }
      const delay = RESUBSCRIBE_BACKOFF_MS[Math.min(retries, RESUBSCRIBE_BACKOFF_MS.length - 1)];
      retries++;
      await sleep(delay, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();

  return {
    async stop() {
      stopped = true;
      stopping.abort();
      stopObserving();
      await messages?.stop();
      await loop;
      await Promise.allSettled(inFlight);
    },
  };
}

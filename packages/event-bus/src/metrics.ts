// What the event bus records, for every service alike: events published and consumed, and each
// durable consumer's backlog. Names as OTLP carries them (see @uplink/kit's metrics.ts).
import type { BatchObservableCallback } from '@opentelemetry/api';
import { serviceInstruments, withObserveTimeout } from '@uplink/kit';
import type { EventBus } from './bus.ts';

export const EventMetricNames = {
  /** Counter: subject, outcome (published | duplicate | failed). */
  eventsPublished: 'uplink.events.published',
  /** Counter: subject, consumer, outcome (ack | retry | dead_lettered). */
  eventsConsumed: 'uplink.events.consumed',
  /** Gauge: consumer. Messages on the consumer's subjects not yet delivered. */
  consumerPending: 'uplink.consumer.pending',
  /** Gauge: consumer. Messages delivered more than once and not settled yet. */
  consumerRedelivered: 'uplink.consumer.redelivered',
} as const;

export type PublishOutcome = 'published' | 'duplicate' | 'failed';
export type ConsumeOutcome = 'ack' | 'retry' | 'dead_lettered';

const eventMetrics = serviceInstruments('@uplink/event-bus', (meter) => ({
  meter,
  eventsPublished: meter.createCounter(EventMetricNames.eventsPublished, {
    description: 'Events published to the event bus, by subject and outcome.',
    unit: '{event}',
  }),
  eventsConsumed: meter.createCounter(EventMetricNames.eventsConsumed, {
    description: 'Event deliveries handled by a durable consumer, by outcome.',
    unit: '{event}',
  }),
  consumerPending: meter.createObservableGauge(EventMetricNames.consumerPending, {
    description: "Messages on a durable consumer's subjects not yet delivered to it.",
    unit: '{message}',
  }),
  consumerRedelivered: meter.createObservableGauge(EventMetricNames.consumerRedelivered, {
    description: 'Messages a durable consumer delivered more than once and that are not settled yet.',
    unit: '{message}',
  }),
}));

export function recordPublished(subject: string, outcome: PublishOutcome): void {
  eventMetrics().eventsPublished.add(1, { subject, outcome });
}

export function recordConsumed(subject: string, consumer: string, outcome: ConsumeOutcome): void {
  eventMetrics().eventsConsumed.add(1, { subject, consumer, outcome });
}

/**
 * Reports the durable consumer's backlog (EventBus.consumerState) at each collection, until the
 * returned function runs. Every process sharing the consumer reports the same numbers: read them
 * with max(), not sum().
 */
export function observeConsumerState(bus: Pick<EventBus, 'consumerState'>, durable: string): () => void {
  const { meter, consumerPending, consumerRedelivered } = eventMetrics();
  const gauges = [consumerPending, consumerRedelivered];
  const callback: BatchObservableCallback = async (result) => {
    const state = await withObserveTimeout(bus.consumerState(durable)).catch(() => undefined);
    if (!state) return; // The bus does not answer now: nothing new observed.
    result.observe(consumerPending, state.pending, { consumer: durable });
    result.observe(consumerRedelivered, state.redelivered, { consumer: durable });
  };
  meter.addBatchObservableCallback(callback, gauges);
  return () => meter.removeBatchObservableCallback(callback, gauges);
}

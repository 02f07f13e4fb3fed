// The event bus port. Services publish and consume Uplink's events through this interface only;
// two adapters implement it: JetStream (nats.ts, production) and an embedded bus kept in
// SQLite (sqlite-bus/, the one-process default). Both give the same guarantees, checked by one
// conformance suite (packages/event-bus/test/conformance/event-bus.ts):
// - one stream of every event, numbered by a global, gap-free-per-publish sequence that survives
//   restarts (the SSE feed's resume cursor);
// - publishing is idempotent per `msgId` inside the duplicate window (a repeat answers the first
//   sequence with `duplicate: true`);
// - durable consumers deliver each message on their subjects at least once, to one of the
//   processes sharing the consumer, until it is acked or terminated; nak(delay) redelivers after
//   the delay, an unacked delivery is redelivered after `ackWaitMs`; `deliveryCount` counts;
// - dead-letter subjects (`deadletter.<subject>`) are kept apart from the main stream.
// What is not promised: ordering across redeliveries (a nak'd message may be overtaken).
import type { Subject } from '@uplink/contracts';

/** JetStream's consumer defaults as Uplink sets them; the embedded bus uses the same. */
export const DEFAULT_MAX_DELIVER = 8;
export const DEFAULT_ACK_WAIT_MS = 30_000;

/**
 * How long a msgId is remembered. It must outlast the outbox sweep's re-publish delay: an entry
 * published just before a crash is re-sent by the sweep and dropped as a duplicate.
 */
export const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;

export type BusHeaders = Record<string, string>;

/** One message of the main stream as readers see it. */
export type StreamMessage = {
  /** The stream sequence: global, increasing, kept across restarts. */
  seq: number;
  subject: string;
  data: Uint8Array;
  headers: BusHeaders;
  json(): unknown;
};

/** A message handed to a durable consumer: settle it exactly once. */
export type ConsumerMessage = StreamMessage & {
  /** 1 on the first delivery, counting every redelivery. */
  deliveryCount: number;
  ack(): void;
  /** Deliver again after `delayMs` (or at once). */
  nak(delayMs?: number): void;
  /** Never deliver again. */
  term(reason?: string): void;
};

export type ConsumerSpec = {
  /** Durable name; processes sharing it share the work. */
  durable: string;
  subjects: Subject[];
  /** Deliveries before a message is dead-lettered. */
  maxDeliver?: number;
  /**
   * The consumer loop's (startConsumer) nak delay by attempt when a handler fails; the last
   * value repeats. The bus itself redelivers unsettled messages after `ackWaitMs`.
   */
  backoffMs?: number[];
  ackWaitMs?: number;
};

export type PublishResult = { seq: number; duplicate: boolean };

/** A durable consumer's backlog, as its metrics report it. */
export type ConsumerState = {
  /** Messages on the consumer's subjects not yet delivered to it (JetStream's `num_pending`). */
  pending: number;
  /**
   * Messages delivered more than once and not settled yet (JetStream's `num_redelivered`): work
   * that keeps failing or timing out.
   */
  redelivered: number;
};

export type BusPublishOptions = { msgId: string; headers?: BusHeaders; timeoutMs?: number };

/** A live iteration; `stop()` ends it after the message being handled, or before it began. */
export type MessageSource<M> = AsyncIterable<M> & { stop(): Promise<void> };

export interface EventBus {
  readonly kind: 'nats' | 'embedded';
  /** Declares the streams (safe to repeat). */
  ensureStreams(): Promise<void>;
  publish(subject: string, data: string | Uint8Array, opts: BusPublishOptions): Promise<PublishResult>;
  /** Declares a durable consumer, or brings it to the spec. Safe to repeat. */
  ensureConsumer(spec: ConsumerSpec): Promise<void>;
  /** The durable consumer's deliveries, at most `maxInFlight` unsettled at a time. */
  consume(durable: string, opts: { maxInFlight: number }): Promise<MessageSource<ConsumerMessage>>;
  /** The durable consumer's backlog now; rejects when the consumer was never declared. */
  consumerState(durable: string): Promise<ConsumerState>;
  /** First and last sequence the main stream holds (0 and 0 when empty and new). */
  streamInfo(): Promise<{ firstSeq: number; lastSeq: number }>;
  /** Every main-stream message from `fromSeq` on, in order, waiting for new ones. */
  tail(fromSeq: number): Promise<MessageSource<StreamMessage>>;
  /** Messages with `fromSeq <= seq <= toSeq` held by the main stream, in order; returns when done. */
  read(fromSeq: number, toSeq: number, subject?: string): AsyncIterable<StreamMessage>;
  /** Rejects when the bus cannot serve requests now. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

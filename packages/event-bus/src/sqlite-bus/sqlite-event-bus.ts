import { DEAD_LETTER_SUBJECT_PREFIX, STREAM_SUBJECTS } from '@uplink/contracts';
import { type Clock, type Logger, logFor, type SyncFile, systemClock } from '@uplink/kit';
import {
  type BusPublishOptions,
  type ConsumerMessage,
  type ConsumerSpec,
  type ConsumerState,
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_MAX_DELIVER,
  DUPLICATE_WINDOW_MS,
  type EventBus,
  type MessageSource,
  type PublishResult,
  type StreamMessage,
} from '../bus.ts';
import { ConsumerSource, type DurableAccess, TailSource, toStreamMessage } from './sources.ts';
import { BusStore, type NewMessage, type StreamName } from './store.ts';
import { filtersOverlap, isPublishableSubject, isValidFilter, subjectMatches } from './subjects.ts';
import { Wakeups } from './wakeups.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Retention as the JetStream streams have it (nats.ts). */
const MAX_AGE_MS: Record<StreamName, number> = { main: 7 * DAY_MS, deadLetter: 30 * DAY_MS };
const PRUNE_EVERY_MS = 60_000;
/** Rows per query when reading a range or catching a tail up. */
const PAGE = 256;

const DEAD_LETTER_FILTER = `${DEAD_LETTER_SUBJECT_PREFIX}.>`;
const encoder = new TextEncoder();

/** A publish waiting for the next batch of appends. */
type QueuedAppend = {
  stream: StreamName;
  message: NewMessage;
  resolve: (result: PublishResult) => void;
  reject: (err: unknown) => void;
};

export type SqliteEventBusOptions = {
  logger?: Logger;
  clock?: Clock;
  /** How the file's -wal is forced to the disk (an fdatasync unless given; tests observe it). */
  syncFile?: SyncFile;
};

/**
 * The event bus in one SQLite file, for running Uplink as a single process: JetStream's
 * guarantees (durable sequence, msgId dedup, durable consumers with ack/nak/term, ack wait,
 * max deliveries) without a broker. One bus in one process owns the file (it caches consumer
 * state); its consumers and tails are woken in-process when something is published, and by
 * timers for delays and ack waits.
 */
export class SqliteEventBus implements EventBus {
  readonly kind = 'embedded';
  readonly #store: BusStore;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #wakeups = new Wakeups();
  readonly #sources = new Set<MessageSource<unknown>>();
  #closed = false;
  #nextPruneAt = 0;
  /** Publishes since the last batch; the next turn of the event loop appends them together. */
  #queued: QueuedAppend[] = [];
  /** The batch of appends to come, which close() lets finish. */
  #appending: Promise<void> | undefined;

  /** Opens (creating it and its folder if need be) the bus kept in the file at `path`. */
  static open(path: string, options: SqliteEventBusOptions = {}): SqliteEventBus {
    const { syncFile } = options;
    return new SqliteEventBus(new BusStore(path, syncFile ? { syncFile } : {}), options);
  }

  private constructor(store: BusStore, options: SqliteEventBusOptions) {
    this.#store = store;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger && logFor(options.logger, 'event-bus');
    const released = store.releaseOutstanding(this.#now());
    this.#prune(this.#now());
    this.#log?.info({ ...store.streamInfo(), released }, 'embedded event bus opened');
  }

  /** The streams are the file's tables, made when it opens. */
  async ensureStreams(): Promise<void> {
    this.#assertOpen();
  }

  async publish(subject: string, data: string | Uint8Array, opts: BusPublishOptions): Promise<PublishResult> {
    this.#assertOpen();
    const stream = streamOf(subject);
    if (!stream) throw new Error(`no stream takes subject '${subject}'`);
    const now = this.#now();
    if (now >= this.#nextPruneAt) this.#prune(now);
    return this.#append(stream, {
      subject,
      data: typeof data === 'string' ? encoder.encode(data) : data,
      headers: JSON.stringify(opts.headers ?? {}),
      msgId: opts.msgId,
      now,
      duplicateWindowMs: DUPLICATE_WINDOW_MS,
    });
  }

  /**
   * Group commit, as the session store does: the publishes of one turn of the event loop are
   * appended in the next one in one transaction, and answered once that is on the disk (the
   * outbox removes its entry when this answers).
   */
  #append(stream: StreamName, message: NewMessage): Promise<PublishResult> {
    return new Promise((resolve, reject) => {
      if (this.#queued.length === 0) {
        this.#appending = new Promise((done) =>
          setImmediate(() => {
            this.#appendQueued();
            done();
          }),
        );
      }
      this.#queued.push({ stream, message, resolve, reject });
    });
  }

  #appendQueued(): void {
    const batch = this.#queued;
    this.#queued = [];
    let results: PublishResult[];
    try {
      results = this.#store.appendAll(batch);
    } catch (err) {
      for (const publish of batch) publish.reject(err);
      return;
    }
    if (batch.some(({ stream }, i) => stream === 'main' && !results[i]?.duplicate)) this.#wakeups.notify();
    const durable = this.#store.durable();
    batch.forEach((publish, i) => {
      const result = results[i];
      if (result) durable.then(() => publish.resolve(result), publish.reject);
    });
  }

  async ensureConsumer(spec: ConsumerSpec): Promise<void> {
    this.#assertOpen();
    if (!/^[^.*>\s]+$/.test(spec.durable)) throw new Error(`invalid durable name '${spec.durable}'`);
    const filters = spec.subjects.length === 0 ? ['>'] : [...spec.subjects];
    for (const filter of filters) {
      if (!isValidFilter(filter) || !STREAM_SUBJECTS.some((s) => filtersOverlap(s, filter))) {
        throw new Error(`consumer ${spec.durable}: filter '${filter}' is outside the stream`);
      }
    }
    // `backoffMs` is the consumer runner's nak schedule (startConsumer). As on the JetStream
    // adapter, it does not shorten the ack wait: a slow handler is not redelivered under itself.
    const maxDeliver = spec.maxDeliver ?? DEFAULT_MAX_DELIVER;
    this.#store.upsertConsumer({
      durable: spec.durable,
      filters,
      // JetStream's -1: no limit.
      maxDeliver: maxDeliver > 0 ? maxDeliver : Number.MAX_SAFE_INTEGER,
      ackWaitMs: spec.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
    });
    this.#wakeups.notify();
    await this.#store.durable();
  }

  async consume(durable: string, opts: { maxInFlight: number }): Promise<MessageSource<ConsumerMessage>> {
    this.#assertOpen();
    if (!this.#store.consumer(durable)) throw new Error(`consumer ${durable} does not exist`);
    return this.#track(
      (onStop) => new ConsumerSource(this.#durableAccess(durable), opts.maxInFlight, this.#wakeups, onStop),
    );
  }

  async consumerState(durable: string): Promise<ConsumerState> {
    this.#assertOpen();
    const state = this.#store.consumerState(durable, this.#now());
    if (!state) throw new Error(`consumer ${durable} does not exist`);
    return state;
  }

  async streamInfo(): Promise<{ firstSeq: number; lastSeq: number }> {
    this.#assertOpen();
    const now = this.#now();
    if (now >= this.#nextPruneAt) this.#prune(now);
    return this.#store.streamInfo();
  }

  async tail(fromSeq: number): Promise<MessageSource<StreamMessage>> {
    this.#assertOpen();
    const read = (from: number) => this.#store.range(from, Number.MAX_SAFE_INTEGER, null, PAGE);
    return this.#track((onStop) => new TailSource(fromSeq, read, this.#wakeups, onStop));
  }

  async *read(fromSeq: number, toSeq: number, subject?: string): AsyncIterable<StreamMessage> {
    this.#assertOpen();
    let next = fromSeq;
    while (next <= toSeq) {
      const rows = this.#store.range(next, toSeq, subject ?? null, PAGE);
      for (const row of rows) yield toStreamMessage(row);
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      next = last.seq + 1;
    }
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    this.#store.assertUsable();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await Promise.all([...this.#sources].map((source) => source.stop()));
    this.#closed = true;
    await this.#appending;
    const released = this.#store.releaseOutstanding(this.#now());
    await this.#store.close();
    this.#log?.info({ released }, 'embedded event bus closed');
  }

  #durableAccess(durable: string): DurableAccess {
    const store = this.#store;
    // Settling after close does nothing: whatever was out is redelivered when the file reopens.
    // An ack or a term makes nothing deliverable, so it wakes no other source (the settling
    // source wakes itself if it waited for the slot); a nak or an unclaim makes its message due
    // again.
    const settle = (apply: () => void): void => {
      if (this.#closed) return;
      apply();
    };
    return {
      now: () => this.#now(),
      claim: (now, max) => store.claim(durable, now, max),
      unclaim: (seq, deliveryCount) =>
        settle(() => {
          store.unclaim(durable, seq, deliveryCount, this.#now());
          this.#wakeups.notify();
        }),
      nextDueAt: () => store.nextDueAt(durable),
      ack: (seq) => settle(() => store.settle(durable, seq)),
      term: (seq, reason) =>
        settle(() => {
          store.settle(durable, seq);
          this.#log?.debug({ consumer: durable, seq, reason }, 'message terminated');
        }),
      nak: (seq, deliveryCount, delayMs) =>
        settle(() => {
          store.reschedule(durable, seq, deliveryCount, this.#now() + Math.max(0, delayMs ?? 0));
          this.#wakeups.notify();
        }),
    };
  }

  #track<M>(create: (onStop: () => void) => MessageSource<M>): MessageSource<M> {
    const source = create(() => this.#sources.delete(source));
    this.#sources.add(source);
    return source;
  }

  #prune(now: number): void {
    this.#nextPruneAt = now + PRUNE_EVERY_MS;
    for (const stream of ['main', 'deadLetter'] as const) {
      const removed = this.#store.prune(stream, now - MAX_AGE_MS[stream]);
      if (removed > 0) this.#log?.debug({ stream, removed }, 'aged-out messages removed');
    }
    this.#store.dropExhausted(now);
  }

  #now(): number {
    return this.#clock.now().getTime();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the event bus is closed');
  }
}

function streamOf(subject: string): StreamName | undefined {
  if (!isPublishableSubject(subject)) return undefined;
  if (STREAM_SUBJECTS.some((filter) => subjectMatches(filter, subject))) return 'main';
  if (subjectMatches(DEAD_LETTER_FILTER, subject)) return 'deadLetter';
  return undefined;
}

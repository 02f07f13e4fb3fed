import { type Subject, type UplinkEvent, validateEvent } from '@uplink/contracts';
import { type Clock, type Logger, logFor } from '@uplink/kit';
import type { EventBus } from './bus.ts';
import { InvalidEventError, publishEvent } from './events.ts';
import { captureTraceContext, type TraceCarrier } from './trace-context.ts';

/**
 * Transactional outbox without transactions: the single-document update that changes a
 * document's state also appends the event to its `outbox` array. The publisher sends each
 * entry and removes it once JetStream acknowledged it; the sweep re-sends what a crash or a
 * broker outage left behind. JetStream drops re-sends of the same `msgId` inside the
 * duplicate window, so a crash between publish and removal does not duplicate the event.
 */
export type OutboxEntry = {
  /** Also the JetStream msgId: deterministic per transition, e.g. `lnk_…:link.expired`. */
  eventId: string;
  subject: Subject;
  event: UplinkEvent;
  trace: TraceCarrier;
  createdAt: Date;
};

export type OutboxDocument = {
  _id: string;
  outbox?: OutboxEntry[];
  /** While set in the future, one sweeper owns this document's entries. */
  outboxLeaseUntil?: Date;
};

/** Builds an entry for the update that makes the transition. Invalid events never get stored. */
export function outboxEntry(subject: Subject, event: UplinkEvent, now: Date): OutboxEntry {
  const checked = validateEvent(subject, event);
  if (!checked.ok) throw new InvalidEventError(`${subject} event is invalid: ${checked.problems.join('; ')}`);
  return {
    eventId: event.eventId,
    subject,
    event,
    trace: captureTraceContext(),
    createdAt: now,
  };
}

/**
 * Where a kind of document keeps its outbox: the port the publisher works through. The
 * entries of one document are kept in the order they were added.
 */
export interface OutboxStore {
  /** For logs: which documents these are. */
  readonly name: string;
  /** The document's entries, oldest first (none when the document is gone). */
  entries(docId: string): Promise<OutboxEntry[]>;
  /** Removes published entries; an entry already gone is no error. */
  remove(published: { docId: string; entry: OutboxEntry }[]): Promise<void>;
  /** Ids of documents holding an entry created at or before `stale` and not leased at `now`. */
  staleDocuments(stale: Date, now: Date, limit: number): Promise<string[]>;
  /** Leases a document's entries to this sweeper until `until`, unless another lease holds at `now`. */
  claim(docId: string, now: Date, until: Date): Promise<boolean>;
  /**
   * Ends the lease `claim` took until `until`, once its sweeper published the entries; a lease
   * another sweeper took since (the first ran out) is left alone.
   */
  release(docId: string, until: Date): Promise<void>;
}

const ACK_BATCH_MAX = 200;
const ACK_BATCH_WAIT_MS = 5;

export type OutboxPublisherOptions = {
  store: OutboxStore;
  bus: EventBus;
  logger: Logger;
  clock: Clock;
  /** How often the sweep looks for entries left behind. */
  sweepIntervalMs?: number;
  /** Entries younger than this belong to the writer's own immediate publish. */
  staleAfterMs?: number;
  leaseMs?: number;
  sweepBatch?: number;
};

export class OutboxPublisher {
  readonly #opts: Required<Omit<OutboxPublisherOptions, 'logger'>>;
  readonly #log: Logger;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #acked: Array<{
    docId: string;
    entry: OutboxEntry;
    resolve: () => void;
    reject: (err: unknown) => void;
  }> = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;
  /** Draining: no more timed sweeps, but publishSoon still publishes until the outbox is drained. */
  #state: 'running' | 'draining' | 'stopped' = 'running';

  constructor(opts: OutboxPublisherOptions) {
    this.#opts = {
      sweepIntervalMs: 5_000,
      staleAfterMs: 5_000,
      leaseMs: 30_000,
      sweepBatch: 200,
      ...opts,
    };
    this.#log = logFor(opts.logger, 'outbox', { collection: opts.store.name });
  }

  /**
   * Publishes a document's pending entries now, without making the caller wait or fail.
   * `wholeOutbox` saves reading the document back; pass it only when the caller knows every
   * entry the document holds (its creator does), or events could go out of order.
   */
  publishSoon(docId: string, wholeOutbox?: OutboxEntry[]): void {
    if (this.#state === 'stopped') return;
    void this.publishDocument(docId, wholeOutbox).catch((err) => {
      this.#log.warn({ err, docId }, 'immediate publish failed; the sweep will retry');
    });
  }

  /** Sends a document's entries in order; each is removed from the outbox once acknowledged. */
  publishDocument(docId: string, wholeOutbox?: OutboxEntry[]): Promise<void> {
    // One publish per document at a time keeps its events in order.
    const previous = this.#inFlight.get(docId) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(() => this.#publishEntries(docId, wholeOutbox))
      .finally(() => {
        if (this.#inFlight.get(docId) === next) this.#inFlight.delete(docId);
      });
    this.#inFlight.set(docId, next);
    return next;
  }

  async #publishEntries(docId: string, wholeOutbox?: OutboxEntry[]): Promise<void> {
    const entries = wholeOutbox ?? (await this.#opts.store.entries(docId));
    for (const entry of entries) {
      const ack = await publishEvent(this.#opts.bus, entry.subject, entry.event, {
        msgId: entry.eventId,
        trace: entry.trace,
      });
      if (ack.duplicate) this.#log.info({ docId, eventId: entry.eventId }, 'entry was already published');
      await this.#removeAcked(docId, entry);
    }
  }

  /**
   * Removes a published entry. Removals are group-committed: those acknowledged within a few
   * milliseconds of each other go to the database as one unordered bulk write, one round trip
   * instead of one per event. The caller waits for its own removal.
   */
  #removeAcked(docId: string, entry: OutboxEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#acked.push({ docId, entry, resolve, reject });
      if (this.#acked.length >= ACK_BATCH_MAX) void this.#flushAcked();
      else this.#flushTimer ??= setTimeout(() => void this.#flushAcked(), ACK_BATCH_WAIT_MS);
    });
  }

  async #flushAcked(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const batch = this.#acked.splice(0);
    if (batch.length === 0) return;
    try {
      await this.#opts.store.remove(batch);
      for (const item of batch) item.resolve();
    } catch (err) {
      // The entries stay in the outbox; the sweep sends them again and JetStream drops the repeats.
      for (const item of batch) item.reject(err);
    }
  }

  /** Re-sends entries older than `staleAfterMs`; returns how many documents it handled. */
  sweep(): Promise<number> {
    this.#sweeping ??= (async () => {
      const now = this.#opts.clock.now();
      const { handled } = await this.#sweepOnce(new Date(now.getTime() - this.#opts.staleAfterMs), now);
      if (handled > 0) this.#log.info({ handled }, 'sweep re-published outbox entries');
      return handled;
    })().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  /** Publishes the documents holding an entry written at or before `writtenBy`, one batch. */
  async #sweepOnce(writtenBy: Date, now: Date): Promise<{ found: number; handled: number; failed: boolean }> {
    const { store, leaseMs, sweepBatch } = this.#opts;
    const candidates = await store.staleDocuments(writtenBy, now, sweepBatch);
    let handled = 0;
    for (const _id of candidates) {
      if (this.#state === 'stopped') break;
      // Being published here already (its entry went stale while its publish or removal waited
      // for the disk): claiming it would only lease it, keeping later entries from the sweep.
      if (this.#inFlight.has(_id)) continue;
      // Claiming with a conditional change keeps replicas from sweeping the same document.
      const leaseUntil = new Date(now.getTime() + leaseMs);
      if (!(await store.claim(_id, now, leaseUntil))) continue;
      try {
        await this.publishDocument(_id);
        handled++;
      } catch (err) {
        this.#log.warn({ err, docId: _id }, 'sweep could not publish; will retry');
        // The broker is most likely down; try again next round (the lease keeps other replicas
        // from trying the same meanwhile).
        return { found: candidates.length, handled, failed: true };
      }
      // Published: a later entry of this document that its writer could not publish must not
      // wait out the lease for any replica's next sweep. Failing to let go only means that wait.
      await store
        .release(_id, leaseUntil)
        .catch((err) => this.#log.warn({ err, docId: _id }, 'could not release the outbox lease'));
    }
    return { found: candidates.length, handled, failed: false };
  }

  /**
   * Publishes every entry written until now, not only the stale ones: what a failed publishSoon left,
   * and what requests finished while HTTP closed wrote. Bounded by what exists when it begins
   * (later entries do not keep it going) and by the first failure (the broker is gone: the
   * next start or another replica's sweep sends the rest).
   */
  async #drain(): Promise<void> {
    const now = this.#opts.clock.now();
    let published = 0;
    for (;;) {
      const { found, handled, failed } = await this.#sweepOnce(now, now);
      published += handled;
      if (found === 0 || handled === 0 || failed) break;
    }
    if (published > 0) this.#log.info({ published }, 'drained the outbox before stopping');
  }

  start(): void {
    this.#state = 'running';
    const tick = () => {
      this.#timer = setTimeout(async () => {
        await this.sweep().catch((err) => this.#log.warn({ err }, 'outbox sweep failed'));
        if (this.#state === 'running') tick();
      }, this.#opts.sweepIntervalMs);
      this.#timer.unref();
    };
    tick();
  }

  /**
   * Stops sweeping, waits for publishes in progress, then drains the outbox (see #drain). Call
   * it once nothing writes entries any more: shutdown stops HTTP and the consumers first.
   */
  async stop(): Promise<void> {
    this.#state = 'draining';
    clearTimeout(this.#timer);
    try {
      await Promise.allSettled([this.#sweeping, ...this.#inFlight.values()]);
      await this.#drain().catch((err) => this.#log.warn({ err }, 'could not drain the outbox'));
    } finally {
      this.#state = 'stopped';
    }
  }
}

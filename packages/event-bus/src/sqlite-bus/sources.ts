// The embedded bus's live iterations. Both pull: each next() looks in the store and, finding
// nothing, waits for a wake-up, so several sources on one durable share its messages without
// a dispatcher: whichever asks first claims the next one.
import type { ConsumerMessage, MessageSource, StreamMessage } from '../bus.ts';
import type { Claimed, MessageRow } from './store.ts';
import type { Wakeups } from './wakeups.ts';

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
const decoder = new TextDecoder();

export function toStreamMessage(row: MessageRow): StreamMessage {
  const { seq, subject, data } = row;
  return {
    seq,
    subject,
    data,
    headers: JSON.parse(row.headers),
    json: () => JSON.parse(decoder.decode(data)),
  };
}

/** A poll's answer: a message, or how long to wait at most before looking again. */
type Polled<M> = { value: M } | { waitMs: number | undefined };

abstract class PullSource<M> implements MessageSource<M> {
  #stopped = false;
  readonly #wakers = new Set<() => void>();
  readonly #wakeups: Wakeups;
  readonly #onStop: () => void;

  constructor(wakeups: Wakeups, onStop: () => void) {
    this.#wakeups = wakeups;
    this.#onStop = onStop;
  }

  protected abstract poll(): Polled<M>;

  [Symbol.asyncIterator](): AsyncIterator<M, undefined> {
    return {
      next: () => this.#next(),
      // Leaving a for-await early ends the source.
      return: async () => {
        await this.stop();
        return DONE;
      },
    };
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.wake();
    this.#onStop();
  }

  /** Ends this source's waits, so that it looks again (what it waits for is its own to change). */
  protected wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  async #next(): Promise<IteratorResult<M, undefined>> {
    for (;;) {
      if (this.#stopped) return DONE;
      const polled = this.poll();
      if ('value' in polled) return { value: polled.value, done: false };
      await this.#wakeups.wait(polled.waitMs, this.#wakers);
    }
  }
}

/** What a consumer source needs from the bus, bound to its durable. */
export type DurableAccess = {
  now(): number;
  claim(now: number, max: number): Claimed[];
  /** Hands back a delivery claimed but never handed out, without counting it. */
  unclaim(seq: number, deliveryCount: number): void;
  nextDueAt(): number | undefined;
  ack(seq: number): void;
  nak(seq: number, deliveryCount: number, delayMs: number | undefined): void;
  term(seq: number, reason: string | undefined): void;
};

/**
 * One consume() call: at most `maxInFlight` of its deliveries unsettled at a time. It claims
 * as many as it has room for at once (one transaction for the batch, as a JetStream pull fetches
 * a batch) and hands them out one by one; stopping hands back those it still holds.
 */
export class ConsumerSource extends PullSource<ConsumerMessage> {
  readonly #durable: DurableAccess;
  readonly #maxInFlight: number;
  /** Ack deadlines of this source's unsettled deliveries, handed out or not. */
  readonly #out = new Set<{ deadline: number }>();
  /** Claimed and not handed out yet, in sequence order. */
  #claimed: ConsumerMessage[] = [];

  constructor(durable: DurableAccess, maxInFlight: number, wakeups: Wakeups, onStop: () => void) {
    super(wakeups, onStop);
    this.#durable = durable;
    this.#maxInFlight = Math.max(1, maxInFlight);
  }

  override async stop(): Promise<void> {
    for (const { seq, deliveryCount } of this.#claimed.splice(0)) this.#durable.unclaim(seq, deliveryCount);
    await super.stop();
  }

  protected poll(): Polled<ConsumerMessage> {
    const held = this.#claimed.shift();
    if (held) return { value: held };
    const now = this.#durable.now();
    // A delivery past its ack wait is being redelivered: it no longer holds a slot, or a
    // handler that forgot to settle would stall this source for good.
    for (const out of this.#out) if (out.deadline <= now) this.#out.delete(out);
    if (this.#out.size >= this.#maxInFlight) {
      return { waitMs: Math.min(...[...this.#out].map((out) => out.deadline)) - now };
    }
    const [first, ...rest] = this.#durable
      .claim(now, this.#maxInFlight - this.#out.size)
      .map((claimed) => this.#delivery(claimed));
    if (first) {
      this.#claimed = rest;
      return { value: first };
    }
    const due = this.#durable.nextDueAt();
    return { waitMs: due === undefined ? undefined : due - now };
  }

  #delivery({ message, deliveryCount, deadline }: Claimed): ConsumerMessage {
    const durable = this.#durable;
    const out = { deadline };
    this.#out.add(out);
    let settled = false;
    const settle = (apply: () => void): void => {
      // Settling twice is harmless on JetStream too; only the first one counts.
      if (settled) return;
      settled = true;
      const wasFull = this.#out.size >= this.#maxInFlight;
      this.#out.delete(out);
      apply();
      // A settlement makes no message deliverable to anyone (a nak that does wakes them all
      // through the bus); it only frees a slot here, which a full source waits for.
      if (wasFull) this.wake();
    };
    const { seq } = message;
    return {
      ...toStreamMessage(message),
      deliveryCount,
      ack: () => settle(() => durable.ack(seq)),
      nak: (delayMs?: number) => settle(() => durable.nak(seq, deliveryCount, delayMs)),
      term: (reason?: string) => settle(() => durable.term(seq, reason)),
    };
  }
}

/** tail(): the main stream in order from a sequence, then each new message as it comes. */
export class TailSource extends PullSource<StreamMessage> {
  readonly #read: (fromSeq: number) => MessageRow[];
  #nextSeq: number;
  #batch: MessageRow[] = [];
  #index = 0;

  constructor(
    fromSeq: number,
    read: (fromSeq: number) => MessageRow[],
    wakeups: Wakeups,
    onStop: () => void,
  ) {
    super(wakeups, onStop);
    this.#nextSeq = fromSeq;
    this.#read = read;
  }

  protected poll(): Polled<StreamMessage> {
    if (this.#index >= this.#batch.length) {
      this.#batch = this.#read(this.#nextSeq);
      this.#index = 0;
    }
    const row = this.#batch[this.#index++];
    if (!row) return { waitMs: undefined };
    this.#nextSeq = row.seq + 1;
    return { value: toStreamMessage(row) };
  }
}

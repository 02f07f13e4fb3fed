import { type LinkView, type TicketRef, validateEvent } from '@uplink/contracts';
import type { EventBus, MessageSource, StreamMessage } from '@uplink/event-bus';
import { type Clock, type Logger, logFor, type Worker } from '@uplink/kit';
import type { LinkStore } from '@uplink/store';
import { toLinkView } from './routes/link-view.ts';

// One feed per process, fanning the UPLINK stream out to every open links stream.
//
// Why not one JetStream consumer per open stream: 1,000 agents watching tickets would be 1,000
// server-side consumers, each receiving (and the process decoding) every event of every tenant.
// Here one ordered consumer reads the stream once; each event is decoded once, its link read
// once, and its frame written to the streams watching that tenant+ticket only (a map lookup).
//
// The cursor is the stream sequence: global, so it stays meaningful across replicas
// and restarts. Resumes are served from a small in-memory ring of recent (sequence, ticket,
// link) entries; a cursor older than the ring (a long disconnect, another replica, a restart)
// is replayed from the stream itself, which keeps 7 days; older than that, the caller sends a
// fresh snapshot instead.

/**
 * A change of one link, as the streams send it: its current view at the stream sequence, as
 * JSON (serialized once, however many streams send it).
 */
export type LinkChange = { seq: number; linkId: string; json: string };

export type FeedListener = {
  change(change: LinkChange): void;
  /** The feed can no longer guarantee this listener every change (stopping, read failure). */
  close(): void;
};

export type FeedSubscription = {
  /** Every change after this sequence reaches the listener; everything up to it is in the database. */
  cursor: number;
  unsubscribe(): void;
};

/** What a resume has to send: each changed link once, at its latest sequence, in order. */
export type Missed = { linkId: string; seq: number }[];

type RingEntry = { seq: number; key: string; linkId: string };

const ticketKey = (tenantId: string, ticket: TicketRef) =>
  `${tenantId}\u0000${ticket.provider}\u0000${ticket.id}`;

export class LinkEventsFeed {
  readonly #bus: EventBus;
  readonly #links: LinkStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #ringSize: number;
  readonly #listeners = new Map<string, Set<FeedListener>>();
  readonly #ring: RingEntry[] = [];
  #ringHead = 0;
  /** Every event after this sequence is in the ring. */
  #coveredFrom = 0;
  /** The last sequence this feed has handled. */
  #lastSeq = 0;
  #messages: MessageSource<StreamMessage> | undefined;
  #loop: Promise<void> | undefined;
  /** A tail being opened again after the last one ended by itself. */
  #reopening: Promise<void> | undefined;
  #running = false;

  constructor(deps: { bus: EventBus; links: LinkStore; clock: Clock; logger: Logger; ringSize?: number }) {
    this.#bus = deps.bus;
    this.#links = deps.links;
    this.#clock = deps.clock;
    this.#log = logFor(deps.logger, 'link-events-feed');
    this.#ringSize = deps.ringSize ?? 10_000;
  }

  get running(): boolean {
    return this.#running;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#lastSeq = (await this.#bus.streamInfo()).lastSeq;
    this.#coveredFrom = this.#lastSeq;
    await this.#consume();
    this.#running = true;
  }

  /** Reads the stream from the sequence after the last one handled, so a restart leaves no gap. */
  async #consume(): Promise<void> {
    const messages = await this.#bus.tail(this.#lastSeq + 1);
    this.#messages = messages;
    this.#loop = (async () => {
      for await (const msg of messages) await this.#handle(msg);
    })()
      .catch((err: unknown) => this.#log.error({ err }, 'link events feed failed'))
      .then(() => {
        // The tail survives reconnects by itself; if it still ends, start over.
        if (this.#running) this.#restartSoon();
      });
  }

  #restartSoon(): void {
    const timer = setTimeout(() => {
      if (!this.#running) return;
      this.#reopening = this.#consume()
        .catch((err: unknown) => {
          this.#log.warn({ err }, 'link events feed could not restart; retrying');
          this.#restartSoon();
        })
        .finally(() => {
          this.#reopening = undefined;
        });
    }, 1_000);
    timer.unref();
  }

  /** Stops reading and ends every subscription, so open streams close and shutdown never waits on them. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const set of this.#listeners.values()) for (const listener of set) listener.close();
    this.#listeners.clear();
    // A tail being opened again is the one to end, not the one that ended and made it reopen.
    await this.#reopening;
    await this.#messages?.stop();
    await this.#loop;
  }

  /**
   * Registers `listener` for the changes of a ticket's links. Synchronous, so nothing slips in
   * between reading `cursor` and being registered.
   */
  subscribe(tenantId: string, ticket: TicketRef, listener: FeedListener): FeedSubscription {
    const key = ticketKey(tenantId, ticket);
    let set = this.#listeners.get(key);
    if (!set) {
      set = new Set();
      this.#listeners.set(key, set);
    }
    set.add(listener);
    return {
      cursor: this.#lastSeq,
      unsubscribe: () => {
        const current = this.#listeners.get(key);
        if (!current?.delete(listener)) return;
        if (current.size === 0) this.#listeners.delete(key);
      },
    };
  }

  /**
   * The ticket's links that changed in (after, upto], each once at its latest sequence, or
   * 'gone' when the stream no longer holds every event of that range.
   */
  async missedSince(
    tenantId: string,
    ticket: TicketRef,
    after: number,
    upto: number,
  ): Promise<Missed | 'gone'> {
    if (after >= upto) {
      // A cursor from another replica may be a little ahead of this feed; one beyond the end of
      // the stream is not from this stream at all (it was recreated): start over from a snapshot.
      if (after === upto) return [];
      const { lastSeq } = await this.#bus.streamInfo();
      return after > lastSeq ? 'gone' : [];
    }
    const key = ticketKey(tenantId, ticket);
    const latest = new Map<string, number>();
    if (after >= this.#coveredFrom) {
      for (const entry of this.#ringEntries()) {
        if (entry.seq > after && entry.seq <= upto && entry.key === key) latest.set(entry.linkId, entry.seq);
      }
    } else {
      const { firstSeq } = await this.#bus.streamInfo();
      if (after + 1 < firstSeq) return 'gone';
      const ids = [tenantId, ticket.id].map((id) => Buffer.from(JSON.stringify(id)));
      for await (const msg of this.#bus.read(after + 1, upto)) {
        if (!holdsAll(msg.data, ids)) continue;
        const event = decode(msg);
        if (event && ticketKey(event.tenantId, event.data.ticket) === key) latest.set(event.linkId, msg.seq);
      }
    }
    return [...latest].map(([linkId, seq]) => ({ linkId, seq })).sort((a, b) => a.seq - b.seq);
  }

  /** A link's current view, or undefined when it is gone. */
  async view(tenantId: string, linkId: string): Promise<LinkView | undefined> {
    const link = await this.#links.get(tenantId, linkId);
    return link ? toLinkView(link, this.#clock.now()) : undefined;
  }

  async #handle(msg: StreamMessage): Promise<void> {
    const event = decode(msg);
    if (!event) {
      this.#log.warn({ subject: msg.subject, seq: msg.seq }, 'skipped an event that fails its schema');
      this.#advance(msg.seq);
      return;
    }
    const key = ticketKey(event.tenantId, event.data.ticket);
    let json: string | undefined;
    let failed = false;
    if (this.#listeners.has(key)) {
      try {
        const view = await this.view(event.tenantId, event.linkId);
        json = view && JSON.stringify(view);
      } catch (err) {
        this.#log.warn({ err, linkId: event.linkId }, 'could not read a changed link');
        failed = true;
      }
    }
    this.#remember({ seq: msg.seq, key, linkId: event.linkId });
    this.#advance(msg.seq);
    const listeners = this.#listeners.get(key);
    if (!listeners) return;
    for (const listener of [...listeners]) {
      // A listener that cannot be given this change closes: its client resumes from the
      // last id it received and is replayed the change, rather than missing it.
      if (failed) listener.close();
      else if (json) listener.change({ seq: msg.seq, linkId: event.linkId, json });
    }
  }

  #advance(seq: number): void {
    if (seq > this.#lastSeq) this.#lastSeq = seq;
  }

  #remember(entry: RingEntry): void {
    if (this.#ring.length < this.#ringSize) {
      this.#ring.push(entry);
      return;
    }
    const evicted = this.#ring[this.#ringHead];
    if (evicted) this.#coveredFrom = evicted.seq;
    this.#ring[this.#ringHead] = entry;
    this.#ringHead = (this.#ringHead + 1) % this.#ringSize;
  }

  *#ringEntries(): Iterable<RingEntry> {
    for (let i = 0; i < this.#ring.length; i++) {
      const entry = this.#ring[(this.#ringHead + i) % this.#ring.length];
      if (entry) yield entry;
    }
  }
}

/**
 * Whether a message's bytes hold every one of `ids` (JSON strings, as publishEvent's
 * JSON.stringify wrote them). A replay of a long range checks this first, so that it parses and
 * validates only the few events that may be the ticket's, not every tenant's; decode decides.
 */
function holdsAll(data: Uint8Array, ids: Buffer[]): boolean {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return ids.every((id) => bytes.includes(id));
}

function decode(msg: StreamMessage) {
  let value: unknown;
  try {
    value = msg.json();
  } catch {
    return undefined;
  }
  const checked = validateEvent(msg.subject, value);
  return checked.ok ? checked.value : undefined;
}

export function linkEventsFeedWorker(feed: LinkEventsFeed): Worker {
  return { name: 'link events feed', start: () => feed.start(), stop: () => feed.stop() };
}

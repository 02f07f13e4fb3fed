import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import {
  connect,
  type MsgHdrs,
  type NatsConnection,
  nanos,
  headers as natsHeaders,
} from '@nats-io/transport-node';
import {
  DEAD_LETTER_STREAM_NAME,
  DEAD_LETTER_SUBJECT_PREFIX,
  STREAM_NAME,
  STREAM_SUBJECTS,
} from '@uplink/contracts';
import { type Logger, logFor } from '@uplink/kit';
import {
  type BusHeaders,
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
} from './bus.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** nats-server's JSConsumerAlreadyExists: a create found the durable there already. */
const CONSUMER_ALREADY_EXISTS = 10148;

const STREAMS: (Partial<StreamConfig> & { name: string })[] = [
  {
    name: STREAM_NAME,
    subjects: [...STREAM_SUBJECTS],
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    max_age: nanos(7 * DAY_MS),
  },
  {
    name: DEAD_LETTER_STREAM_NAME,
    subjects: [`${DEAD_LETTER_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    max_age: nanos(30 * DAY_MS),
  },
];

function toNatsHeaders(headers: BusHeaders | undefined): MsgHdrs | undefined {
  if (!headers) return undefined;
  const h = natsHeaders();
  for (const [key, value] of Object.entries(headers)) h.set(key, value);
  return h;
}

function fromNatsHeaders(h: MsgHdrs | undefined): BusHeaders {
  const out: BusHeaders = {};
  if (!h) return out;
  for (const [key, values] of h) if (values[0] !== undefined) out[key] = values[0];
  return out;
}

function streamMessage(msg: JsMsg): StreamMessage {
  return {
    seq: msg.seq,
    subject: msg.subject,
    data: msg.data,
    headers: fromNatsHeaders(msg.headers),
    json: () => msg.json(),
  };
}

/** A consume() iteration as a MessageSource, mapping each JetStream message. */
function source<M>(
  iter: AsyncIterable<JsMsg> & { close(): Promise<unknown> },
  map: (msg: JsMsg) => M,
): MessageSource<M> {
  let iterated = false;
  return {
    async *[Symbol.asyncIterator]() {
      iterated = true;
      for await (const msg of iter) yield map(msg);
    },
    async stop() {
      const closed = iter.close();
      // nats.js ends a consume() from inside its iteration: close() on one nobody iterated (a
      // consumer stopped while it was subscribing) would wait forever, so run it to its end here.
      // What it pulled in the meantime is not handed out; JetStream redelivers it after the ack wait.
      if (!iterated) for await (const _ of iter);
      await closed;
    },
  };
}

/** Counts a process's unsettled deliveries and lets the next one through when there is room. */
class InFlightGate {
  readonly #limit: number;
  #count = 0;
  #waiting: (() => void) | undefined;
  #opened = false;

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Counts one delivery until the returned settle() runs or `ackWaitMs` passes. */
  take(ackWaitMs: number): () => void {
    this.#count++;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.#count--;
      this.#waiting?.();
    };
    const timer = setTimeout(settle, ackWaitMs);
    timer.unref();
    return settle;
  }

  /** Resolves once another delivery may be handed out. */
  async room(): Promise<void> {
    while (!this.#opened && this.#count >= this.#limit) {
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
      });
      this.#waiting = undefined;
    }
  }

  /** Stops holding anything back (the source is stopping). */
  open(): void {
    this.#opened = true;
    this.#waiting?.();
  }
}

/** The event bus on NATS JetStream: production. */
export class NatsEventBus implements EventBus {
  readonly kind = 'nats';
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;

  constructor(nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager) {
    this.nc = nc;
    this.js = js;
    this.jsm = jsm;
  }

  /** Creates Uplink's streams, or brings an existing one's settings up to date. */
  async ensureStreams(): Promise<void> {
    for (const config of STREAMS) {
      const name = config.name;
      const exists = await this.jsm.streams.info(name).then(
        () => true,
        (err: unknown) => {
          if ((err as { name?: string }).name === 'StreamNotFoundError') return false;
          throw err;
        },
      );
      if (exists) await this.jsm.streams.update(name, config);
      else await this.jsm.streams.add(config);
    }
  }

  async publish(subject: string, data: string | Uint8Array, opts: BusPublishOptions): Promise<PublishResult> {
    const headers = toNatsHeaders(opts.headers);
    const ack = await this.js.publish(subject, data, {
      msgID: opts.msgId,
      ...(headers ? { headers } : {}),
      timeout: opts.timeoutMs ?? 5_000,
    });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  async ensureConsumer(spec: ConsumerSpec): Promise<void> {
    const config = {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subjects: spec.subjects,
      max_deliver: spec.maxDeliver ?? DEFAULT_MAX_DELIVER,
      ack_wait: nanos(spec.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
    };
    if (!(await this.#consumerExists(spec.durable))) {
      try {
        await this.jsm.consumers.add(STREAM_NAME, config);
        return;
      } catch (err) {
        // Another replica created it since we looked: bring its settings up to date below.
        if (!(err instanceof JetStreamApiError && err.code === CONSUMER_ALREADY_EXISTS)) throw err;
      }
    }
    await this.jsm.consumers.update(STREAM_NAME, spec.durable, config);
  }

  /** Only "not found" means missing: any other failure (timeout, permissions, no stream) is thrown. */
  async #consumerExists(durable: string): Promise<boolean> {
    try {
      await this.jsm.consumers.info(STREAM_NAME, durable);
      return true;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return false;
      throw err;
    }
  }

  async consume(durable: string, opts: { maxInFlight: number }): Promise<MessageSource<ConsumerMessage>> {
    const consumer = await this.js.consumers.get(STREAM_NAME, durable);
    const ackWaitMs = ((await consumer.info(true)).config.ack_wait ?? DEFAULT_ACK_WAIT_MS * 1e6) / 1e6;
    const iter = await consumer.consume({ max_messages: opts.maxInFlight });
    // The pull buffer is not a limit on unsettled messages (and max_ack_pending counts every
    // process sharing the consumer): this process's limit is kept here. A delivery stops
    // counting when it is settled or its ack wait ran out (JetStream redelivers it then).
    const gate = new InFlightGate(opts.maxInFlight);
    const messages = source(iter, (msg): ConsumerMessage => {
      const settle = gate.take(ackWaitMs);
      return {
        ...streamMessage(msg),
        deliveryCount: msg.info.deliveryCount,
        ack: () => {
          settle();
          msg.ack();
        },
        nak: (delayMs?: number) => {
          settle();
          msg.nak(delayMs);
        },
        term: (reason?: string) => {
          settle();
          msg.term(reason);
        },
      };
    });
    return {
      async *[Symbol.asyncIterator]() {
        for await (const delivery of messages) {
          yield delivery;
          await gate.room();
        }
      },
      stop: async () => {
        gate.open();
        await messages.stop();
      },
    };
  }

  async consumerState(durable: string): Promise<ConsumerState> {
    const info = await this.jsm.consumers.info(STREAM_NAME, durable);
    return { pending: info.num_pending, redelivered: info.num_redelivered };
  }

  async streamInfo(): Promise<{ firstSeq: number; lastSeq: number }> {
    const info = await this.jsm.streams.info(STREAM_NAME);
    return { firstSeq: info.state.first_seq, lastSeq: info.state.last_seq };
  }

  async tail(fromSeq: number): Promise<MessageSource<StreamMessage>> {
    // An ordered consumer: client-side, survives reconnects, recreated at the right sequence.
    const consumer = await this.js.consumers.get(STREAM_NAME, {
      filter_subjects: [...STREAM_SUBJECTS],
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, fromSeq),
    });
    return source(await consumer.consume({ max_messages: 256 }), streamMessage);
  }

  async *read(fromSeq: number, toSeq: number, subject?: string): AsyncIterable<StreamMessage> {
    // Past the stream's end there is nothing to wait for: a fetch would sit out its expiry.
    const last = Math.min(toSeq, (await this.streamInfo()).lastSeq);
    if (last < fromSeq) return;
    const consumer = await this.js.consumers.get(STREAM_NAME, {
      filter_subjects: subject ? [subject] : [...STREAM_SUBJECTS],
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, fromSeq),
    });
    try {
      // With a subject filter, fewer messages than the range match: read only those there are.
      let remaining = (await consumer.info()).num_pending;
      while (remaining > 0) {
        let seen = 0;
        const batch = await consumer.fetch({ max_messages: Math.min(512, remaining), expires: 2_000 });
        for await (const msg of batch) {
          seen++;
          remaining--;
          if (msg.seq > last) return;
          yield streamMessage(msg);
          if (msg.seq === last || remaining === 0) return;
        }
        // Nothing more to read: the rest of the range was deleted meanwhile.
        if (seen === 0) return;
      }
    } finally {
      await consumer.delete().catch(() => false);
    }
  }

  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('NATS connection is closed');
    await this.nc.flush();
    await this.jsm.getAccountInfo();
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain();
  }
}

/** Connects the JetStream event bus (the composition roots import this module only when NATS is configured). */
export async function openNatsBus(url: string, name: string, logger: Logger): Promise<NatsEventBus> {
  const nc = await connect({
    servers: url,
    name,
    // Keep trying for as long as the process lives: the outbox holds events meanwhile.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  const log = logFor(logger, 'nats');
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
        log.warn({ status: s.type, server: 'server' in s ? s.server : undefined }, `NATS ${s.type}`);
      }
    }
  })();
  return new NatsEventBus(nc, jetstream(nc), await jetstreamManager(nc));
}

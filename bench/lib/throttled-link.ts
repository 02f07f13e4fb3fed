// A phone's network link on loopback: TCP proxies in front of local servers that all share one
// throttled uplink, add latency and cut connections, so benchmarks can compare uploaders on the
// link customers really have. Forwarding is byte for byte (HTTP is not parsed), so what it counts
// is what went over the wire, headers and re-sent bytes included.
//
// How it models the link:
// - Uplink (client -> server): one queue of `upBytesPerSecond` shared by every connection of every
//   forwarder, as a phone's radio is; connections with bytes waiting take turns in slices of
//   SLICE_BYTES (fair queuing, as competing TCP flows roughly get). A connection stops being read
//   while HIGH_WATER_BYTES of its own wait, so a sender sees the slow link as TCP backpressure.
// - Downlink (server -> client): not throttled.
// - Latency: `oneWayDelayMs` in each direction, so the round trip is twice that. A new connection
//   first waits one round trip (the TCP handshake) before its bytes go out.
// - Cuts: each connection is destroyed, both sides at once (a reset to the client), once
//   its upload bytes reach a number drawn between `cut.minBytes` and `cut.maxBytes` from a PRNG
//   seeded with `cut.seed`: the n-th connection of a link always gets the n-th draw, so runs are
//   comparable.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { seededRandom } from '../../packages/saas-doubles/src/index.ts';

export type LinkProfile = {
  /** Client -> server bytes per second, shared by all connections; undefined: not throttled. */
  upBytesPerSecond?: number;
  /** Added to every byte's trip in each direction. */
  oneWayDelayMs: number;
  /** Cut every connection after a seeded random number of upload bytes in [min, max]. */
  cut?: { minBytes: number; maxBytes: number; seed: number };
};

export type LinkCounters = {
  /** Client -> server bytes written to the servers (what the uplink carried). */
  upstreamBytes: number;
  /** Server -> client bytes written to the clients. */
  downstreamBytes: number;
  connections: number;
  cuts: number;
};

/** No throttle, no latency, no cuts: plain forwarding. */
export const CLEAN_LINK: LinkProfile = { oneWayDelayMs: 0 };

/** The uplink takes turns among connections in slices this big (33 ms at 2 Mbit/s). */
const SLICE_BYTES = 8 * 1024;
/** Bytes a connection may have waiting for the uplink before the proxy stops reading it. */
const HIGH_WATER_BYTES = 64 * 1024;

/** One client connection and its connection to the server. */
type Connection = {
  client: Socket;
  server: Socket;
  /** Upload bytes read from the client, not yet on the uplink. */
  waiting: Buffer[];
  waitingBytes: number;
  /** Upload bytes taken onto the uplink so far. */
  sentBytes: number;
  /** Upload bytes after which the connection is cut (Infinity: never). */
  cutAtBytes: number;
  /** Slices taken onto the uplink, not yet delivered to the server. */
  slicesInFlight: number;
  /** The handshake's round trip is over. */
  open: boolean;
  serverFull: boolean;
  clientEnded: boolean;
  closed: boolean;
};

export class ThrottledLink {
  readonly #profile: LinkProfile;
  readonly #random: (() => number) | undefined;
  readonly #servers: Server[] = [];
  readonly #connections = new Set<Connection>();
  /** Connections with upload bytes waiting, in turn order. */
  readonly #turns: Connection[] = [];
  /** When the uplink has finished sending what it took (ms, performance.now()). */
  #uplinkFreeAt = 0;
  #uplinkBusy = false;
  #counters: LinkCounters = { upstreamBytes: 0, downstreamBytes: 0, connections: 0, cuts: 0 };

  constructor(profile: LinkProfile) {
    this.#profile = profile;
    this.#random = profile.cut ? seededRandom(profile.cut.seed) : undefined;
  }

  get counters(): LinkCounters {
    return { ...this.#counters };
  }

  resetCounters(): void {
    this.#counters = { upstreamBytes: 0, downstreamBytes: 0, connections: 0, cuts: 0 };
  }

  /**
   * Listens on loopback (on `listenPort`, or a free port) and forwards to `127.0.0.1:<serverPort>`
   * over this link; resolves with the port it listens on.
   */
  async forward(serverPort: number, listenPort = 0): Promise<number> {
    // Half-open: a client's end must wait for the bytes still on the link, not close at once.
    const listener = createServer({ allowHalfOpen: true }, (client) => this.#accept(client, serverPort));
    this.#servers.push(listener);
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(listenPort, '127.0.0.1', () => resolve());
    });
    const address = listener.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  }

  /** Stops listening and destroys every open connection. */
  async close(): Promise<void> {
    for (const connection of this.#connections) this.#destroy(connection, false);
    await Promise.all(
      this.#servers.map((listener) => new Promise<void>((resolve) => listener.close(() => resolve()))),
    );
  }

  #drawCutAt(): number {
    const cut = this.#profile.cut;
    if (!cut || !this.#random) return Number.POSITIVE_INFINITY;
    return cut.minBytes + Math.floor(this.#random() * (cut.maxBytes - cut.minBytes + 1));
  }

  #accept(client: Socket, serverPort: number): void {
    client.pause();
    client.setNoDelay(true);
    const server = tcpConnect({ host: '127.0.0.1', port: serverPort, allowHalfOpen: true });
    server.setNoDelay(true);
    const connection: Connection = {
      client,
      server,
      waiting: [],
      waitingBytes: 0,
      sentBytes: 0,
      cutAtBytes: this.#drawCutAt(),
      slicesInFlight: 0,
      open: false,
      serverFull: false,
      clientEnded: false,
      closed: false,
    };
    this.#connections.add(connection);
    this.#counters.connections++;

    client.on('data', (chunk: Buffer) => {
      // Past its cut, a connection carries nothing more; it is destroyed once the slice before
      // the cut has arrived.
      if (connection.sentBytes >= connection.cutAtBytes) return;
      connection.waiting.push(chunk);
      connection.waitingBytes += chunk.length;
      if (connection.waitingBytes === chunk.length) this.#turns.push(connection);
      this.#updateReading(connection);
      this.#pump();
    });
    client.on('end', () => {
      connection.clientEnded = true;
      this.#endServerWhenSent(connection);
    });
    server.on('data', (chunk: Buffer) => {
      this.#later(() => {
        if (connection.closed) return;
        this.#counters.downstreamBytes += chunk.length;
        client.write(chunk);
      });
    });
    server.on('drain', () => {
      connection.serverFull = false;
      this.#updateReading(connection);
    });
    server.on('end', () => this.#later(() => client.end()));
    // A close travels the delay like the bytes before it; an error ends the connection at once.
    const closed = () => this.#later(() => this.#destroy(connection, false));
    const failed = () => this.#destroy(connection, false);
    client.on('close', closed);
    server.on('close', closed);
    client.on('error', failed);
    server.on('error', failed);

    // The TCP handshake: one round trip before the first byte leaves.
    setTimeout(() => {
      connection.open = true;
      this.#updateReading(connection);
    }, 2 * this.#profile.oneWayDelayMs);
  }

  /** Reads the client only while the uplink queue and the server keep up. */
  #updateReading(connection: Connection): void {
    if (connection.closed) return;
    const keepReading =
      connection.open &&
      !connection.serverFull &&
      connection.waitingBytes < HIGH_WATER_BYTES &&
      connection.sentBytes < connection.cutAtBytes;
    if (keepReading) connection.client.resume();
    else connection.client.pause();
  }

  /** Runs `deliver` after the one-way delay (at once on a link without latency). */
  #later(deliver: () => void): void {
    if (this.#profile.oneWayDelayMs > 0) setTimeout(deliver, this.#profile.oneWayDelayMs);
    else deliver();
  }

  /** Puts the next slice on the uplink, taking connections in turn, while the uplink is free. */
  #pump(): void {
    while (!this.#uplinkBusy) {
      const connection = this.#turns.shift();
      if (!connection) return;
      if (connection.closed) continue;
      const slice = this.#takeSlice(connection);
      connection.slicesInFlight++;
      if (connection.waitingBytes > 0) this.#turns.push(connection);
      this.#updateReading(connection);
      const rate = this.#profile.upBytesPerSecond;
      if (rate === undefined) {
        this.#later(() => this.#deliverUp(connection, slice));
        continue;
      }
      // The slice is on the wire until the uplink has sent it, then travels the one-way delay.
      // Scheduling from when the uplink is free (not from now) keeps the average rate exact
      // whatever the timers' lateness.
      const now = performance.now();
      this.#uplinkFreeAt = Math.max(now, this.#uplinkFreeAt) + (slice.length / rate) * 1000;
      this.#uplinkBusy = true;
      setTimeout(() => {
        this.#uplinkBusy = false;
        this.#later(() => this.#deliverUp(connection, slice));
        this.#pump();
      }, this.#uplinkFreeAt - now);
    }
  }

  /** Up to SLICE_BYTES of the connection's waiting bytes, never past its cut. */
  #takeSlice(connection: Connection): Buffer {
    const room = Math.min(SLICE_BYTES, connection.cutAtBytes - connection.sentBytes);
    const parts: Buffer[] = [];
    let taken = 0;
    while (taken < room && connection.waiting.length > 0) {
      const head = connection.waiting[0] as Buffer;
      const part = head.length <= room - taken ? head : head.subarray(0, room - taken);
      if (part === head) connection.waiting.shift();
      else connection.waiting[0] = head.subarray(part.length);
      parts.push(part);
      taken += part.length;
    }
    connection.waitingBytes -= taken;
    connection.sentBytes += taken;
    if (connection.sentBytes >= connection.cutAtBytes) {
      // Nothing after the cut goes out: the rest of what the client wrote is lost with it.
      connection.waiting = [];
      connection.waitingBytes = 0;
    }
    return Buffer.concat(parts, taken);
  }

  #deliverUp(connection: Connection, slice: Buffer): void {
    connection.slicesInFlight--;
    if (connection.closed) return;
    this.#counters.upstreamBytes += slice.length;
    if (!connection.server.write(slice)) {
      connection.serverFull = true;
      this.#updateReading(connection);
    }
    // Slices arrive in the order they were taken: after the last one before the cut, none is left.
    if (connection.sentBytes >= connection.cutAtBytes && connection.slicesInFlight === 0) {
      this.#destroy(connection, true);
      return;
    }
    this.#endServerWhenSent(connection);
  }

  /** Passes the client's end of its upload on once every byte before it went over the link. */
  #endServerWhenSent(connection: Connection): void {
    if (!connection.clientEnded || connection.closed) return;
    if (connection.waitingBytes > 0 || connection.slicesInFlight > 0) return;
    this.#later(() => connection.server.end());
  }

  #destroy(connection: Connection, cut: boolean): void {
    if (connection.closed) return;
    connection.closed = true;
    this.#connections.delete(connection);
    if (cut) this.#counters.cuts++;
    if (cut) connection.client.resetAndDestroy();
    else connection.client.destroy();
    connection.server.destroy();
  }
}

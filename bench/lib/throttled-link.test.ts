// The benchmark link does what bench/lib/throttled-link.ts says, on sizes small enough to be quick:
// bytes pass unchanged, the uplink rate is shared by all connections, the delay is added each
// way and to the handshake, and cuts fall where the seed puts them.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN_LINK, type LinkProfile, ThrottledLink } from './throttled-link.ts';

/** A server that keeps what each connection sent; it answers 'ok' to a 'ping'. */
type Sink = { port: number; received: Promise<Buffer>[]; close(): Promise<void> };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startSink(): Promise<Sink> {
  const received: Promise<Buffer>[] = [];
  const server: Server = createServer((socket) => {
    const chunks: Buffer[] = [];
    received.push(
      new Promise((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (chunk.toString() === 'ping') socket.write('ok');
        });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(Buffer.concat(chunks)));
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const sink: Sink = {
    port: address.port,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  cleanups.push(() => sink.close());
  return sink;
}

async function linkTo(sink: Sink, profile: LinkProfile): Promise<{ link: ThrottledLink; port: number }> {
  const link = new ThrottledLink(profile);
  cleanups.push(() => link.close());
  return { link, port: await link.forward(sink.port) };
}

/** Writes `bytes` and closes; resolves with the ms until the socket closed and how it ended. */
function send(port: number, bytes: Buffer): Promise<{ ms: number; reset: boolean }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket: Socket = tcpConnect({ host: '127.0.0.1', port });
    let reset = false;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      reset = error.code === 'ECONNRESET' || error.code === 'EPIPE';
    });
    socket.on('close', () => resolve({ ms: performance.now() - started, reset }));
    socket.end(bytes);
  });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('ThrottledLink', () => {
  it('forwards every byte unchanged on a clean link and counts them', async () => {
    const sink = await startSink();
    const { link, port } = await linkTo(sink, CLEAN_LINK);
    const bytes = randomBytes(2_000_000);
    const sent = await send(port, bytes);
    const [received] = await Promise.all(sink.received);
    expect(sent.reset).toBe(false);
    expect(sha256(received as Buffer)).toBe(sha256(bytes));
    expect(link.counters).toMatchObject({ upstreamBytes: bytes.length, connections: 1, cuts: 0 });
  });

  it('shares one uplink rate among all connections', async () => {
    const sink = await startSink();
    // 1 MB/s: two 250 kB uploads at once take 0.5 s together; each alone would take 0.25 s.
    const { link, port } = await linkTo(sink, { upBytesPerSecond: 1_000_000, oneWayDelayMs: 0 });
    const runs = await Promise.all([send(port, randomBytes(250_000)), send(port, randomBytes(250_000))]);
    const received = await Promise.all(sink.received);
    expect(received.map((bytes) => bytes.length)).toEqual([250_000, 250_000]);
    for (const run of runs) {
      expect(run.ms).toBeGreaterThanOrEqual(450);
      expect(run.ms).toBeLessThan(1_500);
    }
    expect(link.counters.upstreamBytes).toBe(500_000);
  });

  it('adds the delay each way and a round trip for the handshake', async () => {
    const sink = await startSink();
    const { port } = await linkTo(sink, { oneWayDelayMs: 50 });
    const started = performance.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tcpConnect({ host: '127.0.0.1', port });
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        resolve(chunk.toString());
        socket.destroy();
      });
      socket.write('ping');
    });
    const ms = performance.now() - started;
    expect(answer).toBe('ok');
    // Handshake 100 ms, ping 50 ms, answer 50 ms.
    expect(ms).toBeGreaterThanOrEqual(195);
    expect(ms).toBeLessThan(1_000);
  });

  it('cuts each connection where its seed puts it, between the bounds', async () => {
    const profile = (seed: number): LinkProfile => ({
      oneWayDelayMs: 0,
      cut: { minBytes: 100_000, maxBytes: 200_000, seed },
    });
    const cutPoints = async (seed: number): Promise<number[]> => {
      const sink = await startSink();
      const { link, port } = await linkTo(sink, profile(seed));
      for (let n = 0; n < 3; n++) expect((await send(port, randomBytes(1_000_000))).reset).toBe(true);
      const points = (await Promise.all(sink.received)).map((bytes) => bytes.length);
      expect(link.counters).toMatchObject({
        upstreamBytes: points.reduce((a, b) => a + b, 0),
        connections: 3,
        cuts: 3,
      });
      return points;
    };
    const first = await cutPoints(7);
    for (const point of first) {
      expect(point).toBeGreaterThanOrEqual(100_000);
      expect(point).toBeLessThanOrEqual(200_000);
    }
    expect(new Set(first).size).toBe(3);
    expect(await cutPoints(7)).toEqual(first);
    expect(await cutPoints(8)).not.toEqual(first);
  });
});

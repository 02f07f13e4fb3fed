// clamd's INSTREAM command, as its manual (clamd(8)) documents it: `zINSTREAM\0`, then the content
// in chunks each preceded by its length (4 bytes, big-endian), then a zero length; clamd answers one
// NUL-terminated line. Nothing is written to disk on our side and nothing is held whole.
import { connect, type Socket } from 'node:net';
import { type MalwareScanner, ScannerUnavailableError, type ScanVerdict } from './scanner.ts';

/** Where clamd listens: TCP, or a Unix socket on the same machine. */
export type ClamdAddress = { host: string; port: number } | { path: string };

export type ClamavScannerOptions = {
  address: ClamdAddress;
  /** How long clamd may stay silent (connecting, reading, scanning) before it counts as unavailable. */
  idleTimeoutMs?: number;
};

/** Pieces sent to clamd; well below any StreamMaxLength it could be configured with. */
const CHUNK_BYTES = 64 * 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const PING_TIMEOUT_MS = 2_000;
const END_OF_STREAM = new Uint8Array(4);

/** The scanner CLAMAV_URL names, or undefined when it is unset (files are then not scanned). */
export function scannerFromConfig(config: { CLAMAV_URL?: string | undefined }): ClamavScanner | undefined {
  return config.CLAMAV_URL ? ClamavScanner.fromUrl(config.CLAMAV_URL) : undefined;
}

/** `tcp://host:port` or `unix:///path/to/clamd.sock` (CLAMAV_URL). */
export function parseClamavUrl(url: string): ClamdAddress {
  const parsed = new URL(url);
  if (parsed.protocol === 'unix:' && parsed.pathname.length > 1) {
    return { path: decodeURIComponent(parsed.pathname) };
  }
  if (parsed.protocol === 'tcp:' && parsed.hostname && parsed.port) {
    return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port) };
  }
  throw new Error(`'${url}' is not a clamd address: use tcp://host:port or unix:///path/to/clamd.sock`);
}

function describe(address: ClamdAddress): string {
  return 'path' in address ? `unix://${address.path}` : `tcp://${address.host}:${address.port}`;
}

/** The ClamAV adapter of MalwareScanner: one connection to clamd per scan. */
export class ClamavScanner implements MalwareScanner {
  readonly kind = 'clamav';
  readonly #address: ClamdAddress;
  readonly #idleTimeoutMs: number;

  constructor(options: ClamavScannerOptions) {
    this.#address = options.address;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  }

  static fromUrl(url: string): ClamavScanner {
    return new ClamavScanner({ address: parseClamavUrl(url) });
  }

  async scan(content: AsyncIterable<Uint8Array>): Promise<ScanVerdict> {
    const session = await ClamdSession.open(this.#address, this.#idleTimeoutMs);
    try {
      let open = await session.send(Buffer.from('zINSTREAM\0'));
      for await (const chunk of content) {
        for (let offset = 0; open && offset < chunk.length; offset += CHUNK_BYTES) {
          const piece = chunk.subarray(offset, offset + CHUNK_BYTES);
          const length = Buffer.alloc(4);
          length.writeUInt32BE(piece.length);
          open = await session.send(length, piece);
        }
        // clamd closed the stream early: it has answered (a size limit), nothing more to send.
        if (!open) break;
      }
      if (open) await session.send(END_OF_STREAM);
      return verdictOf(await session.reply());
    } finally {
      session.close();
    }
  }

  async ping(): Promise<void> {
    const session = await ClamdSession.open(this.#address, PING_TIMEOUT_MS);
    try {
      await session.send(Buffer.from('zPING\0'));
      const reply = await session.reply();
      if (reply !== 'PONG') throw new ScannerUnavailableError(`clamd answered PING with '${reply}'`);
    } finally {
      session.close();
    }
  }

  toString(): string {
    return `clamd at ${describe(this.#address)}`;
  }
}

/** clamd's one-line answer to INSTREAM, as a verdict; anything else means it could not scan. */
function verdictOf(reply: string): ScanVerdict {
  if (reply === 'stream: OK') return { outcome: 'clean' };
  const found = /^stream: (.+) FOUND$/.exec(reply);
  if (found?.[1]) return { outcome: 'infected', signature: found[1] };
  if (reply.startsWith('INSTREAM size limit exceeded')) return { outcome: 'too_large' };
  throw new ScannerUnavailableError(`clamd could not scan the file: '${reply}'`);
}

/** One connection to clamd: what it sent back is collected until its NUL or the connection's end. */
class ClamdSession {
  readonly #socket: Socket;
  #received = Buffer.alloc(0);
  #failure: Error | undefined;
  readonly #ended: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#ended = new Promise((resolve) => {
      socket.on('data', (data: Buffer) => {
        this.#received = Buffer.concat([this.#received, data]);
        if (this.#received.includes(0)) resolve();
      });
      socket.once('close', () => resolve());
    });
    socket.on('error', (err) => {
      this.#failure ??= err;
    });
  }

  static open(address: ClamdAddress, idleTimeoutMs: number): Promise<ClamdSession> {
    return new Promise((resolve, reject) => {
      const socket = connect(address);
      socket.setTimeout(idleTimeoutMs, () =>
        socket.destroy(new Error(`clamd sent nothing for ${idleTimeoutMs} ms`)),
      );
      const onError = (err: Error): void =>
        reject(
          new ScannerUnavailableError(`cannot reach clamd at ${describe(address)}: ${err.message}`, {
            cause: err,
          }),
        );
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new ClamdSession(socket));
      });
    });
  }

  /** Writes, waiting while the socket's buffer is full; false once the connection is gone. */
  async send(...buffers: Uint8Array[]): Promise<boolean> {
    for (const buffer of buffers) {
      if (this.#socket.destroyed || !this.#socket.writable) return false;
      if (!this.#socket.write(buffer)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.#socket.off('drain', done);
            this.#socket.off('close', done);
            resolve();
          };
          this.#socket.once('drain', done);
          this.#socket.once('close', done);
        });
      }
    }
    return !this.#socket.destroyed && this.#socket.writable;
  }

  /** clamd's answer without its NUL; throws ScannerUnavailableError when there is none. */
  async reply(): Promise<string> {
    await this.#ended;
    const end = this.#received.indexOf(0);
    const text = this.#received
      .subarray(0, end >= 0 ? end : this.#received.length)
      .toString('utf8')
      .trim();
    if (text) return text;
    const why = this.#failure ? `: ${this.#failure.message}` : '';
    throw new ScannerUnavailableError(`clamd closed the connection without an answer${why}`, {
      cause: this.#failure,
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

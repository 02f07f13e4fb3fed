// The faults the Freshdesk double injects: queued for the next requests, drawn at random with a
// seeded generator, 429s with Retry-After, and latency.
import { setTimeout as delay } from 'node:timers/promises';
import { drain, type Exchange, reply } from './exchange.ts';
import { internalError } from './freshdesk-errors.ts';

/**
 * - `http500` / `http502` / `http503`: the body is read, then the error is answered.
 * - `timeout`: the request is held unread and its socket destroyed after `hangMs`.
 * - `reset`: the socket is destroyed as soon as the request line and headers arrive.
 * - `lost-response`: the request is processed (a note IS stored) and the socket destroyed instead
 *   of answering: the "POST succeeded but the client never heard" case.
 */
export type FreshdeskFaultKind = 'http500' | 'http502' | 'http503' | 'timeout' | 'reset' | 'lost-response';

export const FRESHDESK_DEFAULT_FAULT_KINDS: readonly FreshdeskFaultKind[] = [
  'http500',
  'http502',
  'http503',
  'timeout',
  'reset',
];

export interface FreshdeskFaultSettings {
  /** Chance in [0, 1] that an API request is answered with a fault. */
  readonly probability: number;
  /** Picked uniformly per faulted request; defaults to FRESHDESK_DEFAULT_FAULT_KINDS. */
  readonly kinds?: readonly FreshdeskFaultKind[];
}

export class FreshdeskFaults {
  readonly #queue: FreshdeskFaultKind[] = [];
  readonly #hangs = new Set<NodeJS.Timeout>();
  readonly #hangMs: number;
  readonly #random: () => number;
  #settings: FreshdeskFaultSettings | null;
  #latencyMs: number;
  #rateLimitedLeft = 0;
  #retryAfterSeconds = 0;

  constructor(options: {
    settings: FreshdeskFaultSettings | null;
    latencyMs: number;
    hangMs: number;
    random: () => number;
  }) {
    this.#settings = options.settings;
    this.#latencyMs = options.latencyMs;
    this.#hangMs = options.hangMs;
    this.#random = options.random;
  }

  failNext(count: number, kind: FreshdeskFaultKind): void {
    for (let i = 0; i < count; i++) this.#queue.push(kind);
  }

  rateLimit(count: number, retryAfterSeconds: number): void {
    this.#rateLimitedLeft = count;
    this.#retryAfterSeconds = retryAfterSeconds;
  }

  setFaults(settings: FreshdeskFaultSettings | null): void {
    if (settings !== null && !(settings.probability >= 0 && settings.probability <= 1)) {
      throw new Error('fault probability must be within [0, 1]');
    }
    this.#settings = settings;
  }

  setLatency(ms: number): void {
    this.#latencyMs = ms;
  }

  clear(): void {
    this.#queue.length = 0;
    this.#rateLimitedLeft = 0;
    this.#settings = null;
    this.#latencyMs = 0;
  }

  /** Ends every held request's wait (the double stops). */
  stop(): void {
    for (const timer of this.#hangs) clearTimeout(timer);
    this.#hangs.clear();
  }

  async latency(): Promise<void> {
    if (this.#latencyMs > 0) await delay(this.#latencyMs);
  }

  /** The fault for this request: a queued one, else a draw of the dice. */
  take(): FreshdeskFaultKind | undefined {
    const queued = this.#queue.shift();
    if (queued !== undefined) return queued;
    const faults = this.#settings;
    if (faults === null || faults.probability <= 0 || this.#random() >= faults.probability) return undefined;
    const kinds = faults.kinds ?? FRESHDESK_DEFAULT_FAULT_KINDS;
    return kinds[Math.floor(this.#random() * kinds.length)];
  }

  /** The Retry-After of a 429 this request gets, when a rate limit is queued. */
  takeRateLimit(): number | undefined {
    if (this.#rateLimitedLeft <= 0) return undefined;
    this.#rateLimitedLeft--;
    return this.#retryAfterSeconds;
  }

  /** Answers the request as the fault says (a lost response is reply()'s part). */
  async inject(exchange: Exchange, fault: FreshdeskFaultKind): Promise<void> {
    const { req, record } = exchange;
    switch (fault) {
      case 'http500':
        await reply(exchange, 500, internalError, { error: 'injected 500' });
        return;
      case 'http502':
      case 'http503': {
        const status = fault === 'http502' ? 502 : 503;
        const title = status === 502 ? '502 Bad Gateway' : '503 Service Temporarily Unavailable';
        await drain(req);
        const html = `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>\n`;
        exchange.res.writeHead(status, {
          'content-type': 'text/html',
          'content-length': Buffer.byteLength(html),
        });
        exchange.res.end(html);
        record.status = status;
        record.error = `injected ${status}`;
        return;
      }
      case 'reset':
        record.error = 'injected reset';
        req.socket.destroy();
        return;
      case 'timeout':
        record.error = `injected timeout: held ${this.#hangMs} ms, then the socket was destroyed`;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.#hangs.delete(timer);
            req.socket.destroy();
            resolve();
          }, this.#hangMs);
          this.#hangs.add(timer);
          req.socket.once('close', () => {
            clearTimeout(timer);
            this.#hangs.delete(timer);
            resolve();
          });
        });
        return;
      case 'lost-response':
        return; // handled in #reply: the request is processed, the answer never sent
    }
  }
}

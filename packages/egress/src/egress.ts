// The one HTTP client for hosts a tenant chose (webhooks, helpdesk APIs). Every rule is enforced
// where it cannot be dodged: the address is checked when the socket connects, after DNS, for
// every address the name resolves to — so a name that resolves to a public address when
// configured and to 127.0.0.1 when called (DNS rebinding) gains nothing.

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { Agent, buildConnector } from 'undici';
import { type AddressClass, classifyAddress, isInternalName, isLoopbackName } from './addresses.ts';

/** Thrown (possibly as a `cause`) when a request would reach an address Uplink does not call. */
export class EgressRefusedError extends Error {
  override readonly name = 'EgressRefusedError';
}

/** True when `error`, or anything in its `cause` chain, is an egress refusal. */
export function isEgressRefusal(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof EgressRefusedError) return true;
    current = current.cause;
  }
  return false;
}

/** Resolves a name to all of its addresses (dns.lookup by default; tests pass their own). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export type EgressOptions = {
  /** Allow loopback addresses and `localhost`: development and tests only (local doubles). */
  allowLoopback: boolean;
  resolve?: Resolve;
  /** How long connecting (DNS, TCP, TLS) may take. Default 10 s. */
  connectTimeoutMs?: number;
};

export type EgressRequest = {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string | Uint8Array | ReadableStream<Uint8Array>;
  /** The caller's own cancellation (the attempt's deadline, shutdown). */
  signal?: AbortSignal;
  /** The whole exchange, the request body's upload and the answer's read included. */
  timeoutMs: number;
  /** At most this much of the answer's body is read; the rest is dropped unread. */
  maxResponseBytes: number;
};

export type EgressResponse = {
  status: number;
  ok: boolean;
  headers: Headers;
  /** The body as UTF-8 text, cut at `maxResponseBytes`. */
  text: string;
  /** False when the body was longer than `maxResponseBytes`. */
  complete: boolean;
};

/**
 * Why `url` may not be called, judged from the URL alone (before any DNS), or undefined when it
 * may be tried: http(s) only, no credentials in it, no internal name, no internal address literal.
 * The same words for every refusal of one kind, so they tell nothing about the target.
 */
export function urlRefusal(url: URL, allowLoopback: boolean): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'only http and https URLs are called';
  if (url.username !== '' || url.password !== '') return 'URLs with a user name or password are not called';
  if (isLoopbackHost(url.hostname)) return allowLoopback ? undefined : 'the address is not a public one';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0) {
    return classifyAddress(host) === 'public' ? undefined : 'the address is not a public one';
  }
  if (isInternalName(host)) return 'the name is not a public one';
  return undefined;
}

/** A loopback address literal or a loopback name (`localhost`), as a URL's hostname spells it. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) !== 0 ? classifyAddress(host) === 'loopback' : isLoopbackName(host);
}

const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, family: 0 }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

/**
 * Calls tenant-chosen URLs safely: http(s) only, no credentials in the URL, no internal names,
 * every resolved address public (or loopback when allowed), no redirects followed (a 3xx is
 * returned as it is), a deadline on the whole exchange, and a cap on what is read back.
 */
export class EgressClient {
  readonly #allowLoopback: boolean;
  readonly #resolve: Resolve;
  readonly #agent: Agent;

  constructor(options: EgressOptions) {
    this.#allowLoopback = options.allowLoopback;
    this.#resolve = options.resolve ?? systemResolve;
    const connect = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000, lookup: this.#lookup });
    this.#agent = new Agent({
      connect: (connectOptions, callback) => {
        // An address literal never goes through `lookup`: check it here.
        const host = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
        if (isIP(host) !== 0 && !this.#allowed(classifyAddress(host))) {
          callback(new EgressRefusedError('the destination address is not allowed'), null);
          return;
        }
        connect(connectOptions, callback);
      },
    });
  }

  async request(target: string, init: EgressRequest): Promise<EgressResponse> {
    const url = new URL(target);
    const refused = urlRefusal(url, this.#allowLoopback);
    if (refused !== undefined) throw new EgressRefusedError(refused);
    const timeout = AbortSignal.timeout(init.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const body =
      init.body === undefined || typeof init.body === 'string' || init.body instanceof Uint8Array
        ? init.body
        : Readable.fromWeb(init.body as import('node:stream/web').ReadableStream<Uint8Array>);
    const response = await this.#agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      ...(body !== undefined ? { body } : {}),
      signal,
    });
    const { text, complete } = await readCapped(response.body, init.maxResponseBytes);
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
    }
    return {
      status: response.statusCode,
      ok: response.statusCode >= 200 && response.statusCode < 300,
      headers,
      text,
      complete,
    };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #allowed(kind: AddressClass): boolean {
    return kind === 'public' || (kind === 'loopback' && this.#allowLoopback);
  }

  /** The connection's DNS step: resolves, refuses if any address is not allowed, answers as asked. */
  readonly #lookup: LookupFunction = (hostname, options, callback) => {
    const refuse = () => callback(new EgressRefusedError('the destination address is not allowed'), '', 4);
    if (isInternalName(hostname) || (isLoopbackName(hostname) && !this.#allowLoopback)) {
      refuse();
      return;
    }
    this.#resolve(hostname).then(
      (found) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const addresses = family === 4 || family === 6 ? found.filter((a) => a.family === family) : found;
        // Every address: a connection may try any of them.
        if (addresses.length === 0 || addresses.some((a) => !this.#allowed(classifyAddress(a.address)))) {
          refuse();
          return;
        }
        if (options.all) callback(null, addresses);
        else {
          const [first] = addresses as [LookupAddress];
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };
}

/** Reads a body up to `maxBytes`; what is beyond is dropped and the connection let go. */
async function readCapped(
  body: AsyncIterable<Uint8Array> & { destroy(): void },
  maxBytes: number,
): Promise<{ text: string; complete: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.from(chunk);
    if (size + buffer.length > maxBytes) {
      chunks.push(buffer.subarray(0, maxBytes - size));
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), complete: false };
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), complete: true };
}

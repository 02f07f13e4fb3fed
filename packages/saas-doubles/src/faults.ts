// Faults the SaaS doubles inject, one shape for all of them: scripted ones a test queues for the
// next requests it matches, and random ones ("chaos") drawn from a seeded generator so a failing
// run can be replayed. Each double decides where in its request handling a fault takes effect.

/** One scripted fault, consumed by the next request it matches. */
export type DoubleFault =
  /**
   * A 5xx (500 by default): the service's error body, or a gateway's page for 502 (and, from
   * Freshdesk's load balancer, 503). With `applyFirst` the request is performed before the error
   * goes out: the client cannot tell that its write landed.
   */
  | { type: 'server-error'; status?: 500 | 502 | 503; applyFirst?: boolean; delayMs?: number }
  /** A 429 with `Retry-After: retryAfterSeconds` (default 1). Nothing is applied. */
  | { type: 'rate-limit'; retryAfterSeconds?: number; delayMs?: number }
  /**
   * The connection is destroyed without a response: after `delayMs` (a client's timeout), or
   * with `applyFirst` once the request was performed (a lost response).
   */
  | { type: 'reset'; applyFirst?: boolean; delayMs?: number }
  /** The request is answered normally, `delayMs` late (to trip a client's timeout). */
  | { type: 'slow'; delayMs: number };

/** Random faults, each rate a probability in [0, 1] drawn per request. */
export type DoubleChaos = {
  serverErrorRate?: number;
  rateLimitRate?: number;
  resetRate?: number;
  /** `Retry-After` of random 429s, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** Added to every request: a fixed delay or a uniform range [min, max]. */
  latencyMs?: number | readonly [number, number];
};

/** Which requests a scripted fault may hit: each property given must equal the request's. */
export type FaultMatch = Readonly<Record<string, string | number | undefined>>;

type Scripted<M> = { fault: DoubleFault; match: M };

export class FaultPlan<M extends FaultMatch> {
  readonly #queue: Scripted<M>[] = [];
  readonly #double: string;
  readonly #random: () => number;
  #chaos: DoubleChaos;

  /** `double` names the double in errors. */
  constructor(double: string, chaos: DoubleChaos, random: () => number) {
    this.#double = double;
    this.#random = random;
    this.#chaos = this.#checked(chaos);
  }

  setChaos(chaos: DoubleChaos): void {
    this.#chaos = this.#checked(chaos);
  }

  inject(faults: DoubleFault | readonly DoubleFault[], match: M): void {
    const list: readonly DoubleFault[] = Array.isArray(faults) ? faults : [faults as DoubleFault];
    for (const fault of list) this.#queue.push({ fault, match: { ...match } });
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Drops the scripted faults and the chaos. */
  clear(): void {
    this.#queue.length = 0;
    this.#chaos = {};
  }

  latencyMs(): number {
    const latency = this.#chaos.latencyMs;
    if (latency === undefined) return 0;
    if (typeof latency === 'number') return latency;
    const [min, max] = latency;
    return min + this.#random() * (max - min);
  }

  /** The fault for this request: the first scripted one it matches, else a random draw. */
  next(request: M): DoubleFault | undefined {
    const index = this.#queue.findIndex(({ match }) =>
      Object.entries(match).every(([key, value]) => value === undefined || request[key] === value),
    );
    if (index >= 0) return this.#queue.splice(index, 1)[0]?.fault;
    const { serverErrorRate = 0, rateLimitRate = 0, resetRate = 0 } = this.#chaos;
    const draw = this.#random();
    if (draw < rateLimitRate) {
      return { type: 'rate-limit', retryAfterSeconds: this.#chaos.retryAfterSeconds ?? 1 };
    }
    if (draw < rateLimitRate + serverErrorRate) {
      // Half of the random 5xx land the request first, as a server that fails after committing.
      return {
        type: 'server-error',
        status: this.#random() < 0.5 ? 500 : 503,
        applyFirst: this.#random() < 0.5,
      };
    }
    if (draw < rateLimitRate + serverErrorRate + resetRate) {
      return { type: 'reset', applyFirst: this.#random() < 0.5 };
    }
    return undefined;
  }

  #checked(chaos: DoubleChaos): DoubleChaos {
    const { serverErrorRate = 0, rateLimitRate = 0, resetRate = 0 } = chaos;
    for (const [name, rate] of Object.entries({ serverErrorRate, rateLimitRate, resetRate })) {
      if (!(rate >= 0 && rate <= 1))
        throw new RangeError(`${this.#double} double: ${name} must be in [0, 1]`);
    }
    if (serverErrorRate + rateLimitRate + resetRate > 1) {
      throw new RangeError(`${this.#double} double: the fault rates add up to more than 1`);
    }
    return { ...chaos };
  }
}

/** What a gateway in front of a service answers for a 502 or 503: its own HTML page, not the API's JSON. */
export function gatewayErrorPage(status: 502 | 503): string {
  const title = status === 502 ? '502 Bad Gateway' : '503 Service Temporarily Unavailable';
  return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>\n`;
}

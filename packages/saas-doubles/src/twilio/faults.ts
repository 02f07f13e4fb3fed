// Faults the Twilio double injects: scripted ones a test queues for the next requests, and random
// ones ("chaos") drawn from a seeded generator so a failing run can be replayed.

/** One scripted fault, consumed by the next request it matches. */
export type TwilioFault =
  /**
   * A 500 or 503 with Twilio's error body. With `applyFirst` a POST's update is performed before
   * the error goes out: the client cannot tell that its write landed.
   */
  | { type: 'server-error'; status?: 500 | 503; applyFirst?: boolean; delayMs?: number }
  /** A 429 with `Retry-After: retryAfterSeconds` (default 1). Nothing is applied. */
  | { type: 'rate-limit'; retryAfterSeconds?: number; delayMs?: number }
  /** The connection is destroyed without a response (after the update, with `applyFirst`). */
  | { type: 'reset'; applyFirst?: boolean; delayMs?: number }
  /** The request is answered normally, `delayMs` late (to trip a client's timeout). */
  | { type: 'slow'; delayMs: number };

/** Which requests a scripted fault may hit; all of them when empty. */
export type FaultMatch = { method?: 'GET' | 'POST'; taskSid?: string };

/** Random faults, each rate a probability in [0, 1] drawn per request. */
export type TwilioChaos = {
  serverErrorRate?: number;
  rateLimitRate?: number;
  resetRate?: number;
  /** `Retry-After` of random 429s, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** Added to every request: a fixed delay or a uniform range [min, max]. */
  latencyMs?: number | readonly [number, number];
};

type Scripted = { fault: TwilioFault; match: FaultMatch };

export class FaultPlan {
  readonly #queue: Scripted[] = [];
  #chaos: TwilioChaos;
  readonly #random: () => number;

  constructor(chaos: TwilioChaos, random: () => number) {
    this.#chaos = checkChaos(chaos);
    this.#random = random;
  }

  setChaos(chaos: TwilioChaos): void {
    this.#chaos = checkChaos(chaos);
  }

  inject(faults: readonly TwilioFault[], match: FaultMatch): void {
    for (const fault of faults) this.#queue.push({ fault, match: { ...match } });
  }

  get pending(): number {
    return this.#queue.length;
  }

  clear(): void {
    this.#queue.length = 0;
  }

  latencyMs(): number {
    const latency = this.#chaos.latencyMs;
    if (latency === undefined) return 0;
    if (typeof latency === 'number') return latency;
    const [min, max] = latency;
    return min + this.#random() * (max - min);
  }

  /** The fault for this request: the first scripted one it matches, else a random draw. */
  next(method: string, taskSid: string): TwilioFault | undefined {
    const index = this.#queue.findIndex(
      ({ match }) =>
        (match.method === undefined || match.method === method) &&
        (match.taskSid === undefined || match.taskSid === taskSid),
    );
    if (index >= 0) return this.#queue.splice(index, 1)[0]?.fault;
    const { serverErrorRate = 0, rateLimitRate = 0, resetRate = 0 } = this.#chaos;
    const draw = this.#random();
    if (draw < rateLimitRate) {
      return { type: 'rate-limit', retryAfterSeconds: this.#chaos.retryAfterSeconds ?? 1 };
    }
    if (draw < rateLimitRate + serverErrorRate) {
      // Half of the random 5xx land the update first, as a server that fails after committing.
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
}

function checkChaos(chaos: TwilioChaos): TwilioChaos {
  const { serverErrorRate = 0, rateLimitRate = 0, resetRate = 0 } = chaos;
  for (const [name, rate] of Object.entries({ serverErrorRate, rateLimitRate, resetRate })) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`twilio double: ${name} must be in [0, 1]`);
  }
  if (serverErrorRate + rateLimitRate + resetRate > 1) {
    throw new RangeError('twilio double: the fault rates add up to more than 1');
  }
  return { ...chaos };
}

// A client-side load balancer in the manner of a Kubernetes Service with a readiness probe: it
// probes each instance's /readyz every PROBE_MS and sends requests only to instances whose last
// probe answered 200 within FRESH_MS. A request whose connection breaks (no HTTP answer at all)
// is retried once on another instance, as a real client or proxy would after a crash; an HTTP
// answer, whatever its status, is never retried. Every request is recorded for the checks.
import type { Instance } from './instances.ts';

const PROBE_MS = 100;
const PROBE_TIMEOUT_MS = 1_000;
const FRESH_MS = 1_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** How long a request waits for some instance to be ready before it fails. */
const NO_BACKEND_WAIT_MS = 15_000;

export type RequestRecord = {
  service: string;
  op: string;
  instance: string;
  startedAt: number;
  endedAt: number;
  status?: number;
  error?: string;
  /** Set on the second attempt: the instance whose connection broke. */
  retryOf?: string;
};

type Member = { instance: Instance; ready: boolean; lastOkAt: number; probing: boolean };

export class Balancer {
  readonly service: string;
  readonly records: RequestRecord[];
  readonly #members: Member[] = [];
  #next = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(service: string, records: RequestRecord[]) {
    this.service = service;
    this.records = records;
    this.#timer = setInterval(() => this.#probeAll(), PROBE_MS);
  }

  /** A new endpoint; it gets traffic once a probe says it is ready. */
  add(instance: Instance): void {
    this.#members.push({ instance, ready: false, lastOkAt: 0, probing: false });
    this.#probeAll();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #probeAll(): void {
    for (const member of this.#members) {
      if (member.probing) continue;
      member.probing = true;
      fetch(`${member.instance.url}/readyz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
        .then(async (response) => {
          await response.body?.cancel();
          return response.status === 200;
        })
        .catch(() => false)
        .then((ok) => {
          member.ready = ok;
          if (ok) member.lastOkAt = Date.now();
          member.probing = false;
        });
    }
  }

  async #pick(exclude?: Instance): Promise<Instance> {
    const deadline = Date.now() + NO_BACKEND_WAIT_MS;
    for (;;) {
      const now = Date.now();
      const ready = this.#members.filter(
        (m) => m.ready && now - m.lastOkAt <= FRESH_MS && m.instance !== exclude,
      );
      if (ready.length > 0) return (ready[this.#next++ % ready.length] as Member).instance;
      if (now > deadline) throw new Error(`${this.service}: no ready instance for ${NO_BACKEND_WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends the request to a ready instance; resolves with the answer (any status) or rejects. */
  async request(
    op: string,
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: unknown; instance: string }> {
    let broken: Instance | undefined;
    for (let attempt = 1; ; attempt++) {
      const instance = await this.#pick(broken);
      const record: RequestRecord = {
        service: this.service,
        op,
        instance: instance.name,
        startedAt: Date.now(),
        endedAt: 0,
        ...(broken ? { retryOf: broken.name } : {}),
      };
      this.records.push(record);
      try {
        const response = await fetch(`${instance.url}${path}`, {
          method,
          headers: {
            ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...opts.headers,
          },
          ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        record.status = response.status;
        record.endedAt = Date.now();
        return { status: response.status, body: parseJson(text), instance: instance.name };
      } catch (err) {
        record.endedAt = Date.now();
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        record.error = cause?.code ?? cause?.message ?? (err as Error).message;
        // Passive health check: a broken connection takes the instance out until a probe passes.
        const member = this.#members.find((m) => m.instance === instance);
        if (member) member.ready = false;
        if (attempt > 1) throw new Error(`${this.service} ${op}: ${record.error} (after a retry)`);
        broken = instance;
      }
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Figures of an autocannon run, and their summary over rounds: the same for every HTTP benchmark.
// Also the load the benchmarks that pit Uplink against a baseline put on each: ROUNDS rounds, each a
// warm-up and a measured run per target, CONNECTIONS POSTs at a time.
import autocannon from 'autocannon';
import { mean, round } from './common.ts';

export const CONNECTIONS = 10;
export const WARMUP_SECONDS = 2;
export const MEASURE_SECONDS = 10;
export const ROUNDS = 2;

/** CONNECTIONS connections POSTing `request` to `url` for `seconds`, one request in flight each. */
export function postLoad(
  url: string,
  seconds: number,
  request: Omit<autocannon.Request, 'method'>,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    requests: [{ method: 'POST', ...request }],
  });
}

/**
 * One target's turn in a round: a warm-up run, then a measured run with the CPU `meter` (started
 * after the warm-up) says each process used during it.
 */
export async function warmAndMeasure(
  load: (seconds: number) => Promise<autocannon.Result>,
  meter: () => { since(): Record<string, number> },
): Promise<{ warm: autocannon.Result; result: autocannon.Result; cpu: Record<string, number> }> {
  const warm = await load(WARMUP_SECONDS);
  const started = meter();
  const result = await load(MEASURE_SECONDS);
  return { warm, result, cpu: started.since() };
}

/** CPU ms each process used per one of `count` answers (0 when there were none). */
export function cpuMsPer(cpu: Record<string, number>, count: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(cpu).map(([name, ms]) => [name, count > 0 ? round(ms / count, 3) : 0]),
  );
}

export type LatencyFigures = { p50: number; p97_5: number; p99: number; max: number; mean: number };

export function latencyFigures(result: autocannon.Result): LatencyFigures {
  return {
    p50: result.latency.p50,
    p97_5: result.latency.p97_5,
    p99: result.latency.p99,
    max: result.latency.max,
    mean: round(result.latency.mean, 2),
  };
}

type RoundFigures = { latencyMs: LatencyFigures; non2xx: number; errors: number; timeouts: number };

/** Means over a target's rounds of its rate (`perSec` picks which) and latencies; sums of failures. */
export function summarizeRounds<R extends RoundFigures>(rounds: readonly R[], perSec: (r: R) => number) {
  return {
    perSec: round(mean(rounds.map(perSec)), 1),
    latencyMs: {
      p50: round(mean(rounds.map((r) => r.latencyMs.p50)), 2),
      p97_5: round(mean(rounds.map((r) => r.latencyMs.p97_5)), 2),
      p99: round(mean(rounds.map((r) => r.latencyMs.p99)), 2),
    },
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    errors: rounds.reduce((a, r) => a + r.errors + r.timeouts, 0),
    rounds: rounds.map(perSec),
  };
}

/** A run where only successes count: 2xx answers per second, and CPU per 2xx answer. */
export type OkRunFigures = {
  /** 2xx answers per second: only successes count. */
  okPerSec: number;
  latencyMs: LatencyFigures;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU ms used per 2xx answer by each process during the measured part. */
  cpuMsPerRequest: Record<string, number>;
};

export function okRunFigures(result: autocannon.Result, cpu: Record<string, number>): OkRunFigures {
  const ok = result['2xx'];
  return {
    okPerSec: round(ok / result.duration, 1),
    latencyMs: latencyFigures(result),
    ok2xx: ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    cpuMsPerRequest: cpuMsPer(cpu, ok),
  };
}

/** A run's latencies, failures and CPU per request, as a log line ends. */
export function runFiguresText(figures: RoundFigures & { cpuMsPerRequest: Record<string, number> }): string {
  return (
    `p50 ${figures.latencyMs.p50} ms  p97.5 ${figures.latencyMs.p97_5} ms  p99 ${figures.latencyMs.p99} ms  ` +
    `non-2xx ${figures.non2xx}  errors ${figures.errors}  cpu ms/req ${JSON.stringify(figures.cpuMsPerRequest)}`
  );
}

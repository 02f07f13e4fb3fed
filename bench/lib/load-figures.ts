// Figures of an autocannon run, and their summary over rounds: the same for every HTTP benchmark.
import type autocannon from 'autocannon';
import { mean, round } from './common.ts';

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

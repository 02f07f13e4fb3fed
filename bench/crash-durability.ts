// Benchmark: crash durability of the one-process default. `npm start`'s process (scripts/start.ts,
// on a temp data folder) runs 1,000 complete upload flows (intent, PUT to the SAS URL, completion;
// CONCURRENCY at a time) and is killed with SIGKILL at a random moment mid-way; restarted on the
// same folder, every flow whose completion was answered 200 must be received or later with its
// bytes readable through the console's preview URL, and every other link still pending with a new
// flow on it succeeding. Three kills, one folder (it grows by 1,000 links and their files each
// time). Target: 0 lost, 0 stuck. Reported too: the time per flow before the kill (wall time over
// the flows answered 200) and how long each restart took to be ready (it replays the blob index's
// journal). The flows and the check are @uplink/testing's crash-flows.ts, which the crash test
// (packages/embedded/test/kill.test.ts) runs with 50 flows.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CrashCheck,
  checkAfterRestart,
  createCrashFlows,
  runFlowsUntilKilled,
  type TenantApiAccess,
} from '@uplink/testing';
import { type BenchResult, benchDir, log, percentile, round } from './lib/common.ts';
import { embeddedBenchEnv, gatewayReady, startEmbeddedUplink } from './lib/embedded-uplink.ts';

const NAME = 'crash-durability';
const FLOWS = 1_000;
const KILLS = 3;
/** Flows running at once, as many customers uploading together. */
const CONCURRENCY = 16;
const API_KEY = 'upk_bench_crash_durability_key_000000000';

type KillFigures = {
  kill: number;
  flows: number;
  /** Flows whose completion was answered 200 before the process died. */
  answered: number;
  lost: number;
  stuck: number;
  /** Up to five of each, with what was found. */
  lostExamples: string[];
  stuckExamples: string[];
  /** Wall time from the first flow to the kill, over the flows answered 200. */
  msPerFlow: number;
  /** How long one flow answered 200 took, from its intent to its completion's answer. */
  flowLatencyMs: { p50: number; p99: number };
  /** From the kill to the restarted process answering /readyz on both ports. */
  restartMs: number;
};

type Uplink = TenantApiAccess & { kill(): Promise<void>; stop(): Promise<unknown> };

/**
 * scripts/start.ts with npm start's Node options on `env`'s data folder, ready once link-service
 * and upload-gateway answer.
 */
async function startUplink(env: NodeJS.ProcessEnv, start: number): Promise<Uplink> {
  const child = await startEmbeddedUplink({
    name: `uplink-start-${start}`,
    env,
    logFile: join(benchDir, 'results', `${NAME}-uplink-${start}.log`),
  });
  await gatewayReady(child, env);
  return {
    api: `http://127.0.0.1:${env.LINK_SERVICE_PORT}/v1`,
    apiKey: API_KEY,
    kill: () => child.kill(),
    stop: () => child.stop(),
  };
}

export async function runCrashDurability(): Promise<BenchResult> {
  const started = Date.now();
  const loadBefore = loadavg();
  const dataDir = await mkdtemp(join(tmpdir(), 'uplink-bench-crash-'));
  const env = await embeddedBenchEnv(dataDir, API_KEY);
  const kills: KillFigures[] = [];
  let uplink = await startUplink(env, 0);
  try {
    for (let kill = 1; kill <= KILLS; kill++) {
      const flows = await createCrashFlows(uplink, FLOWS, `crash-${kill}`);
      const running = uplink;
      const { runMs, flowMs } = await runFlowsUntilKilled(flows, {
        concurrency: CONCURRENCY,
        kill: () => running.kill(),
      });
      const sorted = flowMs.sort((a, b) => a - b);
      const killedAt = performance.now();
      uplink = await startUplink(env, kill);
      const restartMs = performance.now() - killedAt;
      const check: CrashCheck = await checkAfterRestart(uplink, flows, CONCURRENCY);
      const figures: KillFigures = {
        kill,
        flows: FLOWS,
        answered: check.answered,
        lost: check.lost.length,
        stuck: check.stuck.length,
        lostExamples: check.lost.slice(0, 5),
        stuckExamples: check.stuck.slice(0, 5),
        msPerFlow: round(runMs / Math.max(1, check.answered), 2),
        flowLatencyMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) },
        restartMs: Math.round(restartMs),
      };
      kills.push(figures);
      log(NAME, JSON.stringify(figures));
    }
  } finally {
    await uplink.stop();
    await rm(dataDir, { recursive: true, force: true });
  }

  const lost = kills.reduce((sum, k) => sum + k.lost, 0);
  const stuck = kills.reduce((sum, k) => sum + k.stuck, 0);
  const answered = kills.map((k) => k.answered).join('/');
  const msPerFlow = kills.map((k) => k.msPerFlow).join('/');
  return {
    name: NAME,
    headline:
      `${NAME}: ${KILLS} kills x ${FLOWS} flows: ${lost} lost, ${stuck} stuck (target 0, 0); ` +
      `answered 200 before each kill ${answered}; ${msPerFlow} ms per flow (${CONCURRENCY} at a time; ` +
      `each took p50 ${kills.map((k) => k.flowLatencyMs.p50).join('/')} ms); ` +
      `restart ${kills.map((k) => k.restartMs).join('/')} ms`,
    passed: lost === 0 && stuck === 0,
    flowsPerKill: FLOWS,
    concurrency: CONCURRENCY,
    kills,
    loadAverageBefore: loadBefore.map((n) => round(n, 2)),
    durationSeconds: Math.round((Date.now() - started) / 1000),
  };
}

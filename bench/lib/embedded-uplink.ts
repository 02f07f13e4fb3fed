// `npm start`'s process for the benchmarks of the one-process default (embedded-load and
// crash-durability): its environment on a data folder, and the process itself, run directly (no
// npm or toolchain launchers) with npm start's Node options.
import { join } from 'node:path';
import { embeddedUplinkEnv } from '@uplink/testing';
import { NPM_START_NODE_OPTIONS } from '../../packages/embedded/src/runtime.ts';
import { type BenchChild, benchDir, sleep, startReadyProcess } from './common.ts';

/** High enough that the gateway's rate limiter counts but never refuses during a benchmark. */
const NO_RATE_LIMIT = String(1_000_000_000);

/** npm start's environment on `dataDir`, bootstrapped with `apiKey`, logging warnings only. */
export async function embeddedBenchEnv(dataDir: string, apiKey: string): Promise<NodeJS.ProcessEnv> {
  return {
    ...(await embeddedUplinkEnv()),
    UPLINK_DATA_DIR: dataDir,
    UPLINK_BOOTSTRAP_API_KEY: apiKey,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_IP: NO_RATE_LIMIT,
    RATE_LIMIT_PER_TOKEN: NO_RATE_LIMIT,
  };
}

/**
 * scripts/start.ts with npm start's Node options (then `nodeOptions`) on `env`, stopped with
 * SIGINT as a person does; ready once link-service answers (see gatewayReady for the gateway).
 */
export function startEmbeddedUplink(options: {
  name: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  nodeOptions?: readonly string[];
}): ReturnType<typeof startReadyProcess> {
  const { name, env, logFile } = options;
  return startReadyProcess({
    name,
    args: [
      ...NPM_START_NODE_OPTIONS.split(' '),
      ...(options.nodeOptions ?? []),
      join(benchDir, '..', 'scripts', 'start.ts'),
    ],
    env,
    port: Number(env.LINK_SERVICE_PORT),
    logFile,
    stopSignal: 'SIGINT',
  });
}

/** Resolves once the upload-gateway of `child` (started on `env`) answers /readyz (about 10 s at most). */
export async function gatewayReady(child: BenchChild, env: NodeJS.ProcessEnv): Promise<void> {
  const gateway = `http://127.0.0.1:${env.UPLOAD_GATEWAY_PORT}/readyz`;
  for (
    let i = 0;
    !(await fetch(gateway).then(
      (r) => r.ok,
      () => false,
    ));
    i++
  ) {
    if (i > 100) throw new Error(`upload-gateway of ${child.name} not ready; see ${child.logFile}`);
    await sleep(100);
  }
}

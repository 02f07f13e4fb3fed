// Service instances as deployed: each its own `node services/<name>/src/main.ts`, configured by
// environment variables, on its own free port; ready when /readyz answers 200.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, httpStatus, type ManagedProcess, startProcess } from '@uplink/dev-servers';
import { NOTE_RELAY_NODE_OPTIONS } from '../../services/note-relay/src/runtime.ts';

/** SIGTERM to SIGKILL: the drain delay, then up to 15 s for the shutdown phases. */
const STOP_GRACE_MS = 20_000;

export type ServiceName = 'link-service' | 'upload-gateway' | 'note-relay' | 'expiry-scheduler';

const root = join(import.meta.dirname, '..', '..');

export type Instance = {
  /** e.g. `upload-gateway-3` */
  name: string;
  /** 1, 2, … per service, in start order */
  index: number;
  service: ServiceName;
  url: string;
  pid: number;
  logFile: string;
  /** epoch ms of the signal, once sent */
  killedAt?: number;
  terminatedAt?: number;
  /** SIGTERM -> process gone, ms */
  stopMs?: number;
  /** SIGKILL: gone at once. */
  kill(): Promise<void>;
  /** SIGTERM: its graceful shutdown (SIGKILL after STOP_GRACE_MS, which the log check then reveals). */
  terminate(): Promise<void>;
  /** The shutdown phases the instance logged, in order (empty when it never shut down). */
  shutdownLog(): { phases: string[]; complete: boolean; failed: string[] };
};

export async function startInstance(
  service: ServiceName,
  index: number,
  env: Record<string, string>,
  logDir: string,
): Promise<Instance> {
  const name = `${service}-${index}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(logDir, `${name}.log`);
  const execArgv = service === 'note-relay' ? NOTE_RELAY_NODE_OPTIONS.split(' ') : [];
  const managed: ManagedProcess = await startProcess({
    name,
    command: process.execPath,
    args: [...execArgv, join(root, 'services', service, 'src', 'main.ts')],
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    logFile,
    ready: async () => (await httpStatus(`${url}/readyz`)) === 200,
    readyTimeoutMs: 60_000,
    // A graceful stop waits for work in flight (a delivery may take seconds on a loaded machine):
    // like a pod's termination grace period, this must outlast it, or the check below sees the
    // SIGKILL of a shutdown that was going fine.
    stopGraceMs: STOP_GRACE_MS,
  });
  const instance: Instance = {
    name,
    index,
    service,
    url,
    pid: managed.pid,
    logFile,
    async kill() {
      instance.killedAt = Date.now();
      process.kill(managed.pid, 'SIGKILL');
      await managed.stop(); // resolves once it exited
    },
    async terminate() {
      instance.terminatedAt = Date.now();
      await managed.stop();
      instance.stopMs = Date.now() - instance.terminatedAt;
    },
    shutdownLog() {
      const phases: string[] = [];
      const failed: string[] = [];
      let complete = false;
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { type?: string; msg?: string; phase?: string };
        if (entry.type !== 'shutdown') continue;
        if (entry.msg === 'shutdown phase done' && entry.phase) phases.push(entry.phase);
        if (entry.msg === 'shutdown phase failed' && entry.phase) failed.push(entry.phase);
        if (entry.msg === 'shutdown complete') complete = true;
      }
      return { phases, complete, failed };
    },
  };
  return instance;
}

export type ClusterOptions = {
  mongoUri: string;
  db: string;
  natsUrl: string;
  azuriteConnectionString: string;
  container: string;
  apiKey: string;
  secretKeys: string;
  drainDelayMs: number;
  logDir: string;
  /** Called once an instance is ready (the load balancers add it). */
  onReady: (instance: Instance) => void;
};

/** Every service's instances on shared servers, as a deployment's replicas. */
export class Cluster {
  readonly instances: Instance[] = [];
  readonly #opts: ClusterOptions;
  readonly #env: Record<ServiceName, Record<string, string>>;
  readonly #numbered: Partial<Record<ServiceName, number>> = {};

  constructor(opts: ClusterOptions) {
    this.#opts = opts;
    const common = {
      MONGODB_URI: opts.mongoUri,
      MONGODB_DB: opts.db,
      NATS_URL: opts.natsUrl,
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_DELAY_MS: String(opts.drainDelayMs),
    };
    const storage = {
      AZURE_STORAGE_CONNECTION_STRING: opts.azuriteConnectionString,
      AZURE_STORAGE_CONTAINER: opts.container,
    };
    const uploadBase = { PUBLIC_UPLOAD_BASE_URL: 'http://uplink.test/u/' };
    // The Freshdesk double listens on 127.0.0.1: a destination only an operator can allow.
    const destinationsOnLoopback = { EGRESS_ALLOW_LOOPBACK: 'true', DESTINATION_EXTRA_HOSTS: '127.0.0.1' };
    this.#env = {
      'link-service': {
        ...common,
        ...uploadBase,
        UPLINK_BOOTSTRAP_API_KEY: opts.apiKey,
        UPLINK_SECRET_KEYS: opts.secretKeys,
        ...destinationsOnLoopback,
      },
      // Every request comes from 127.0.0.1: no per-address limit.
      'upload-gateway': {
        ...common,
        ...storage,
        ...uploadBase,
        AZURE_STORAGE_CONFIGURE: 'true',
        RATE_LIMIT_PER_IP: '1000000',
      },
      // A killed attempt's lease (and the consumer's ack wait) runs out after 10 s.
      'note-relay': {
        ...common,
        ...storage,
        UPLINK_SECRET_KEYS: opts.secretKeys,
        ...destinationsOnLoopback,
        DELIVERY_ATTEMPT_MS: '10000',
      },
      'expiry-scheduler': { ...common, EXPIRY_SWEEP_INTERVAL_MS: '10000' },
    };
  }

  async launch(service: ServiceName): Promise<Instance> {
    const index = (this.#numbered[service] ?? 0) + 1;
    this.#numbered[service] = index;
    const instance = await startInstance(service, index, this.#env[service], this.#opts.logDir);
    this.instances.push(instance);
    this.#opts.onReady(instance);
    return instance;
  }

  running(): Instance[] {
    return this.instances.filter((i) => !i.killedAt && !i.terminatedAt);
  }

  /** The service's oldest instance still running. */
  oldest(service: ServiceName): Instance {
    const found = this.running()
      .filter((i) => i.service === service)
      .sort((a, b) => a.index - b.index)[0];
    if (!found) throw new Error(`no ${service} instance is running`);
    return found;
  }
}

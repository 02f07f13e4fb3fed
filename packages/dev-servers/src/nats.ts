import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureNatsServer } from './binaries.ts';
import { createTempDir, httpStatus, restartableProcess } from './child-process.ts';
import { freePort } from './ports.ts';

export interface NatsServer {
  /** nats://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Stops the server; its store dir and ports stay reserved for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same store dir (no-op while it runs). */
  start(): Promise<void>;
}

export interface StartNatsOptions {
  port?: number;
  /** JetStream store; defaults to a fresh temp dir removed when the process exits. */
  storeDir?: string;
}

/** nats-server with JetStream on 127.0.0.1, ready once its monitor reports JetStream enabled. */
export async function startNats(options: StartNatsOptions = {}): Promise<NatsServer> {
  const binary = await ensureNatsServer();
  const storeDir = options.storeDir ?? (await createTempDir('uplink-nats-'));
  await mkdir(storeDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const monitorPort = await freePort();
  const healthUrl = `http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`;
  const args = ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)];

  const { start, stop } = restartableProcess({
    name: 'nats-server',
    command: binary,
    args,
    logFile: join(storeDir, 'nats-server.log'),
    ready: async () => (await httpStatus(healthUrl)) === 200,
  });

  await start();
  return { url: `nats://127.0.0.1:${port}`, port, stop, start };
}

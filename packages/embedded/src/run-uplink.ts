import { buildExpiryScheduler } from '@uplink/expiry-scheduler';
import { ExpirySchedulerEnv } from '@uplink/expiry-scheduler/env';
import {
  createLogger,
  DEFAULT_SHUTDOWN_BUDGET_MS,
  type Logger,
  loadConfig,
  startServices,
  startTelemetry,
  systemClock,
  type Telemetry,
} from '@uplink/kit';
import { buildLinkService } from '@uplink/link-service';
import { LinkServiceChecks, LinkServiceEnv } from '@uplink/link-service/env';
import { buildNoteRelay } from '@uplink/note-relay';
import { NoteRelayChecks, NoteRelayEnv } from '@uplink/note-relay/env';
import { AzureBlobStore } from '@uplink/storage';
import { buildUploadGateway } from '@uplink/upload-gateway';
import { UploadGatewayChecks, UploadGatewayEnv } from '@uplink/upload-gateway/env';
import { DataFolder } from './data-folder.ts';
import { openInfrastructure } from './infrastructure.ts';
import { NpmStartEnv } from './npm-start-env.ts';

export type RunningUplink = {
  /** `metrics`: the Prometheus endpoint of the whole process, when METRICS_PORT is set. */
  urls: { console: string; api: string; docs: string; uploads: string; files: string; metrics?: string };
  apiKey: string;
  dataDir: string;
  /** Which adapter each port uses, for the banner. */
  infrastructure: { sessions: string; events: string; blobs: string };
  logger: Logger;
  /** Graceful: stops taking traffic, finishes work in progress, closes everything. */
  stop(reason?: string): Promise<void>;
};

/**
 * All four services in this process, sharing one session store and one event bus: the
 * `npm start` default. Each service is built by the same factory its container uses and listens
 * on its own port, so URLs, headers and behaviour match a deployment; only the adapters behind
 * the ports differ (see infrastructure.ts).
 */
export async function startUplink(opts: { env: NodeJS.ProcessEnv; dataDir: string }): Promise<RunningUplink> {
  const { env } = opts;
  const start = loadConfig(NpmStartEnv, env);
  const level = env.LOG_LEVEL ?? 'info';
  const logger = createLogger({ service: 'uplink', level });
  const data = new DataFolder(opts.dataDir);
  // First: a second Uplink on this folder is told so, not that the metrics port is taken.
  const unlock = data.lock();
  let telemetry: Telemetry | undefined;
  let infra: Awaited<ReturnType<typeof openInfrastructure>>;
  try {
    // One telemetry for the four services: spans and metrics carry service.name "uplink" (the
    // routes and consumer names tell the services apart).
    telemetry = await startTelemetry('uplink', env);
    infra = await openInfrastructure(env, data, logger);
  } catch (err) {
    unlock();
    await telemetry?.shutdown();
    throw err;
  }
  const { store, bus } = infra;

  const host = env.HOST ?? '127.0.0.1';
  const ports = {
    link: String(start.LINK_SERVICE_PORT),
    gateway: String(start.UPLOAD_GATEWAY_PORT),
    relay: String(start.NOTE_RELAY_PORT),
    expiry: String(start.EXPIRY_SCHEDULER_PORT),
  };
  const gatewayBase = `http://${host}:${ports.gateway}`;
  const apiKey = data.demoApiKey(env);
  const shared = {
    ...env,
    HOST: host,
    UPLINK_SECRET_KEYS: data.secretKeys(env),
    AZURE_STORAGE_CONNECTION_STRING: infra.blobs.connectionString,
    PUBLIC_UPLOAD_BASE_URL: env.PUBLIC_UPLOAD_BASE_URL ?? `${gatewayBase}/u/`,
    PUBLIC_FILE_BASE_URL: env.PUBLIC_FILE_BASE_URL ?? `${gatewayBase}/f/`,
  };
  const deps = <C>(name: string, config: C) => ({
    config,
    logger: createLogger({ service: name, level }),
    store,
    bus,
    clock: systemClock,
  });

  // The same lifecycle as a service alone (runService), for the four together: whatever writes
  // an outbox entry stops before the publishers drain it, and the infrastructure closes last.
  const { stop } = await startServices({
    logger,
    services: [
      {
        build: async () => {
          const config = loadConfig(
            LinkServiceEnv,
            { ...shared, PORT: ports.link, UPLINK_BOOTSTRAP_API_KEY: apiKey },
            LinkServiceChecks,
          );
          return buildLinkService({
            ...deps('link-service', config),
            storage: await AzureBlobStore.fromConfig(config),
          });
        },
        host,
        port: Number(ports.link),
      },
      {
        build: async () => {
          const config = loadConfig(
            UploadGatewayEnv,
            {
              ...shared,
              PORT: ports.gateway,
              // Azurite in this process: the upload page's origin must be allowed to PUT blocks.
              AZURE_STORAGE_CONFIGURE: env.AZURE_STORAGE_CONFIGURE ?? 'true',
            },
            UploadGatewayChecks,
          );
          return buildUploadGateway({
            ...deps('upload-gateway', config),
            storage: await AzureBlobStore.fromConfig(config),
          });
        },
        host,
        port: Number(ports.gateway),
      },
      {
        build: async () => {
          const config = loadConfig(NoteRelayEnv, { ...shared, PORT: ports.relay }, NoteRelayChecks);
          return buildNoteRelay({
            ...deps('note-relay', config),
            storage: await AzureBlobStore.fromConfig(config),
          });
        },
        host,
        port: Number(ports.relay),
      },
      {
        build: () =>
          buildExpiryScheduler(
            deps('expiry-scheduler', loadConfig(ExpirySchedulerEnv, { ...shared, PORT: ports.expiry })),
          ),
        host,
        port: Number(ports.expiry),
      },
    ],
    budgetMs: Number(env.SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SHUTDOWN_BUDGET_MS),
    // Nothing balances load over npm start: Ctrl-C stops at once.
    drainDelayMs: 0,
    thenClose: [
      { name: 'close infrastructure', run: () => infra.close() },
      { name: 'release the data folder', run: unlock },
      { name: 'flush telemetry', run: () => telemetry?.shutdown() },
    ],
  });

  const apiBase = `http://${host}:${ports.link}`;
  return {
    urls: {
      console: `${apiBase}/console`,
      api: `${apiBase}/v1`,
      docs: `${apiBase}/docs`,
      uploads: shared.PUBLIC_UPLOAD_BASE_URL,
      files: shared.PUBLIC_FILE_BASE_URL,
      ...(telemetry?.metricsUrl ? { metrics: telemetry.metricsUrl } : {}),
    },
    apiKey,
    dataDir: data.path,
    infrastructure: {
      sessions: `${store.kind} (${store.location})`,
      events:
        bus.kind === 'nats'
          ? `NATS JetStream at ${env.NATS_URL}`
          : `embedded (${data.file('events.sqlite')})`,
      blobs: infra.blobs.describe,
    },
    logger,
    stop: (reason = 'stop requested') => stop(reason),
  };
}

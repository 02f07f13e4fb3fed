import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.ts';
import { type CommonConfig, ConfigError } from './config.ts';
import type { HttpApp } from './http.ts';
import { createLogger } from './logger.ts';
import { connectMongo, type Mongo } from './mongo.ts';
import { type Bus, closeNats, connectNats, ensureStreams } from './nats.ts';
import { createShutdown, onSignals } from './shutdown.ts';
import { startTelemetry } from './telemetry.ts';

/** Background work a service runs beside its HTTP server: consumers, publishers, timers. */
export type Worker = { name: string; start(): Promise<void> | void; stop(): Promise<void> };

/** What a service's app factory returns; tests build the same thing with test dependencies. */
export type Service = { app: HttpApp; workers: Worker[] };

export type ServiceDeps<C> = { config: C; logger: Logger; mongo: Mongo; bus: Bus; clock: Clock };

export async function startWorkers(service: Service): Promise<void> {
  for (const worker of service.workers) await worker.start();
}

export async function stopWorkers(service: Service): Promise<void> {
  for (const worker of [...service.workers].reverse()) await worker.stop();
}

/**
 * The `main` of every service: telemetry first, then config (failing fast with the variable's
 * name), connections, the app, listen, workers, and a phased shutdown on SIGTERM/SIGINT.
 */
export async function runService<C extends CommonConfig>(opts: {
  name: string;
  /** Parses the environment, e.g. `(env) => loadConfig(MyServiceEnv, env)`. */
  config: (env: NodeJS.ProcessEnv) => C;
  build: (deps: ServiceDeps<C>) => Promise<Service> | Service;
}): Promise<void> {
  const telemetry = await startTelemetry(opts.name);
  let config: C;
  try {
    config = opts.config(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${opts.name}: ${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const logger = createLogger({ service: opts.name, level: config.LOG_LEVEL });
  process.on('unhandledRejection', (err) => logger.error({ err, type: 'process' }, 'unhandled rejection'));

  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB, opts.name);
  const bus = await connectNats(config.NATS_URL, opts.name, logger);
  await ensureStreams(bus.jsm);

  const service = await opts.build({ config, logger, mongo, bus, clock: systemClock });
  await service.app.listen({ host: config.HOST, port: config.PORT });
  await startWorkers(service);

  const shutdown = createShutdown(
    logger,
    [
      {
        name: 'stop taking traffic',
        run: () => {
          service.app.draining = true;
        },
      },
      { name: 'stop workers', run: () => stopWorkers(service) },
      { name: 'close http', run: () => service.app.close() },
      { name: 'close nats', run: () => closeNats(bus) },
      { name: 'close mongodb', run: () => mongo.client.close() },
      { name: 'flush telemetry', run: () => telemetry.shutdown() },
    ],
    config.SHUTDOWN_TIMEOUT_MS,
  );
  onSignals(shutdown, logger);
  logger.info({ type: 'lifecycle', host: config.HOST, port: config.PORT }, `${opts.name} ready`);
}

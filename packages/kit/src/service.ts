import type { Logger } from 'pino';
import { systemClock } from './clock.ts';
import { type CommonConfig, ConfigError } from './config.ts';
import type { HttpApp } from './http.ts';
import { createLogger, logFor } from './logger.ts';
import type { AppDeps, BusHandle, StoreHandle } from './service-parts.ts';
import { createShutdown, onSignals, type ShutdownPhase } from './shutdown.ts';
import { startTelemetry } from './telemetry.ts';

/** Background work a service runs beside its HTTP server: consumers, publishers, timers. */
export type Worker = {
  name: string;
  start(): Promise<void> | void;
  stop(): Promise<void>;
  /**
   * Set on the outbox publisher: it sends what the HTTP routes and the other workers write, so
   * it stops after them (see stoppingPhases).
   */
  publishesOutbox?: boolean;
};

/**
 * I/O a service needs done once before it takes traffic (declaring its durable consumer, its
 * blob container, the bootstrap tenant). App factories only build; the lifecycle runs these.
 * Each is safe to repeat, also from several replicas at once.
 */
export type StartupStep = { name: string; run(): Promise<void> };

/** What a service's app factory returns; tests build the same thing with test dependencies. */
export type Service = { app: HttpApp; workers: Worker[]; startup?: StartupStep[] };

/** Opens the session store and the event bus a service runs on (declaring streams and tables). */
export type ConnectInfrastructure<C, S extends StoreHandle, B extends BusHandle> = (
  config: C,
  name: string,
  logger: Logger,
) => Promise<{ store: S; bus: B }>;

/** Runs the service's start-up steps in the order it declared them. */
export async function prepareService(service: Service): Promise<void> {
  for (const step of service.startup ?? []) await step.run();
}

export async function startWorkers(service: Service): Promise<void> {
  for (const worker of service.workers) await worker.start();
}

/** Stops the workers that write (consumers, timers), last started first. */
export async function stopProducers(service: Service): Promise<void> {
  for (const worker of [...service.workers].reverse()) if (!worker.publishesOutbox) await worker.stop();
}

/** Stops the outbox publishers, each sending what its outbox still holds first. */
export async function stopPublishers(service: Service): Promise<void> {
  for (const worker of [...service.workers].reverse()) if (worker.publishesOutbox) await worker.stop();
}

export async function stopWorkers(service: Service): Promise<void> {
  await stopProducers(service);
  await stopPublishers(service);
}

/**
 * The phases that stop services without leaving anything they accepted unpublished: whatever
 * writes an outbox entry stops before the publisher that sends it. Consumers and timers stop
 * first (the live-link feed ends its open streams, so closing HTTP does not wait on them); then
 * HTTP closes, finishing the requests in flight while the publisher still publishes their
 * events; last, each publisher sends every entry written until then. The callers close the
 * event bus and the session store after these.
 */
export function stoppingPhases(services: readonly Service[]): ShutdownPhase[] {
  const each = (stop: (service: Service) => Promise<unknown>) => async () => {
    await Promise.all(services.map(stop));
  };
  return [
    {
      name: 'stop taking traffic',
      run: () => {
        for (const service of services) service.app.draining = true;
      },
    },
    { name: 'stop consumers and timers', run: each(stopProducers) },
    { name: 'close http', run: each((service) => service.app.close()) },
    { name: 'publish the outbox', run: each(stopPublishers) },
  ];
}

/**
 * A graceful stop, run once however often it is asked for: first `drainDelayMs` during which
 * /readyz answers 503 while everything still serves, then the stopping phases and `thenClose`
 * (the infrastructure), all of them together within `budgetMs` (SHUTDOWN_TIMEOUT_MS).
 */
export function gracefulShutdown(opts: {
  logger: Logger;
  services: readonly Service[];
  budgetMs: number;
  drainDelayMs: number;
  thenClose: ShutdownPhase[];
}): (reason: string) => Promise<void> {
  const { logger, services, drainDelayMs } = opts;
  const phases = createShutdown(logger, [...stoppingPhases(services), ...opts.thenClose], opts.budgetMs);
  // The drain comes first, outside the phases' budget: /readyz answers 503 at once, but load
  // balancers notice only at their next probe (Kubernetes: once the endpoint change has
  // propagated), and until then requests keep arriving. They are served as usual, workers
  // included; closing the listener at once would refuse them.
  let stopping: Promise<void> | undefined;
  return (reason) => {
    stopping ??= (async () => {
      for (const service of services) service.app.draining = true;
      if (drainDelayMs > 0) {
        logFor(logger, 'shutdown').info(
          { reason, drainMs: drainDelayMs },
          'not ready; serving until load balancers notice',
        );
        await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
      }
      await phases(reason);
    })();
    return stopping;
  };
}

/** A service the lifecycle builds, prepares, and serves on `host:port`. */
export type ServiceToStart = {
  build(): Promise<Service> | Service;
  host: string;
  port: number;
};

/**
 * The one lifecycle of Uplink's services, for a service alone (runService) and for the four in
 * one process (`npm start`): build each, run their start-up steps, listen, start their workers.
 * Returns the graceful stop (see gracefulShutdown), which ends with `thenClose`. When any of
 * this fails, whatever started is stopped at once (no drain) and the error thrown.
 */
export async function startServices(opts: {
  logger: Logger;
  services: readonly ServiceToStart[];
  /** SHUTDOWN_TIMEOUT_MS: the whole stop after the drain, all phases together. */
  budgetMs: number;
  drainDelayMs: number;
  thenClose: ShutdownPhase[];
}): Promise<{ services: Service[]; stop(reason: string): Promise<void> }> {
  // Filled as they are built: a stop stops those built so far.
  const started: Service[] = [];
  const shutdown = (drainDelayMs: number) =>
    gracefulShutdown({
      logger: opts.logger,
      services: started,
      budgetMs: opts.budgetMs,
      drainDelayMs,
      thenClose: opts.thenClose,
    });
  try {
    for (const one of opts.services) started.push(await one.build());
    for (const service of started) await prepareService(service);
    for (const [i, service] of started.entries()) {
      const { host, port } = opts.services[i] as ServiceToStart;
      await service.app.listen({ host, port });
    }
    for (const service of started) await startWorkers(service);
  } catch (err) {
    await shutdown(0)('failed to start');
    throw err;
  }
  return { services: started, stop: shutdown(opts.drainDelayMs) };
}

/**
 * The `main` of every service: telemetry first, then config (failing fast with the variable's
 * name), connections, and the lifecycle (startServices) with a phased shutdown on SIGTERM/SIGINT.
 */
export async function runService<C extends CommonConfig, S extends StoreHandle, B extends BusHandle>(opts: {
  name: string;
  /** Parses the environment, e.g. `(env) => loadConfig(MyServiceEnv, env)`. */
  config: (env: NodeJS.ProcessEnv) => C;
  connect: ConnectInfrastructure<C, S, B>;
  build: (deps: AppDeps<C, S, B>) => Promise<Service> | Service;
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
  process.on('unhandledRejection', (err) => logFor(logger, 'process').error({ err }, 'unhandled rejection'));

  let infrastructure: { store: S; bus: B };
  try {
    infrastructure = await opts.connect(config, opts.name, logger);
  } catch (err) {
    // Exit and let the supervisor (Kubernetes, systemd) start it again, with a line that says why.
    logFor(logger, 'lifecycle').fatal({ err }, `cannot start: ${(err as Error).message}`);
    logger.flush();
    process.exit(69); // EX_UNAVAILABLE
  }
  const { store, bus } = infrastructure;
  let running: Awaited<ReturnType<typeof startServices>>;
  try {
    running = await startServices({
      logger,
      services: [
        {
          build: () => opts.build({ config, logger, store, bus, clock: systemClock }),
          host: config.HOST,
          port: config.PORT,
        },
      ],
      budgetMs: config.SHUTDOWN_TIMEOUT_MS,
      drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
      thenClose: [
        { name: 'close event bus', run: () => bus.close() },
        { name: 'close session store', run: () => store.close() },
        { name: 'flush telemetry', run: () => telemetry.shutdown() },
      ],
    });
  } catch (err) {
    // A setting the schema cannot check (a malformed connection string, a missing key a
    // service needs, a port in use): one line that says which, not a stack trace.
    logFor(logger, 'lifecycle').fatal({ err }, `cannot start: ${(err as Error).message}`);
    logger.flush();
    process.exit(1);
  }
  onSignals(running.stop, logger);
  logFor(logger, 'lifecycle').info({ host: config.HOST, port: config.PORT }, `${opts.name} ready`);
}

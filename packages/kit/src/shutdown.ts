import type { Logger } from 'pino';

export type ShutdownPhase = { name: string; run: () => Promise<void> | void };

/**
 * Runs the phases in order, each bounded by `timeoutMs`, once: later calls get the same promise.
 * A phase that fails or times out is logged and the next one still runs.
 */
export function createShutdown(logger: Logger, phases: ShutdownPhase[], timeoutMs: number) {
  const log = logger.child({ type: 'shutdown' });
  let running: Promise<void> | undefined;
  return (reason: string): Promise<void> => {
    running ??= (async () => {
      log.info({ reason }, 'shutting down');
      for (const phase of phases) {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(phase.run),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          log.info({ phase: phase.name, ms: Date.now() - started }, 'shutdown phase done');
        } catch (err) {
          log.error({ err, phase: phase.name }, 'shutdown phase failed');
        } finally {
          clearTimeout(timer);
        }
      }
      log.info('shutdown complete');
    })();
    return running;
  };
}

/** SIGTERM/SIGINT start the shutdown; a second signal exits at once. */
export function onSignals(shutdown: (reason: string) => Promise<void>, logger: Logger): void {
  let signalled = false;
  const handle = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ type: 'shutdown', signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    void shutdown(signal).then(() => {
      logger.flush();
      process.exit(0);
    });
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

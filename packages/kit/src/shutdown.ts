import type { Logger } from 'pino';
import { logFor } from './logger.ts';

export type ShutdownPhase = { name: string; run: () => Promise<void> | void };

/**
 * Runs the phases in order, once (later calls get the same promise), all within `budgetMs`
 * together: each phase may take what the earlier ones left. A phase that fails or runs out of
 * time is logged and the next one still runs while time is left; once the budget is spent, the
 * remaining phases are skipped, so the whole shutdown ends within the budget whatever the
 * number of phases (what the chart's terminationGracePeriodSeconds is derived from).
 */
export function createShutdown(logger: Logger, phases: ShutdownPhase[], budgetMs: number) {
  const log = logFor(logger, 'shutdown');
  let running: Promise<void> | undefined;
  return (reason: string): Promise<void> => {
    running ??= (async () => {
      log.info({ reason, budgetMs }, 'shutting down');
      const deadline = Date.now() + budgetMs;
      for (const phase of phases) {
        const started = Date.now();
        const leftMs = deadline - started;
        if (leftMs <= 0) {
          log.error({ phase: phase.name }, 'shutdown phase skipped: the shutdown budget is spent');
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(phase.run),
            new Promise((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`timed out after ${leftMs} ms, the rest of the shutdown budget`)),
                leftMs,
              );
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
      logFor(logger, 'shutdown').warn({ signal }, 'second signal: exiting now');
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

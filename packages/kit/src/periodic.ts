import type { Logger } from 'pino';
import { logFor } from './logger.ts';
import { recordSweepFailure } from './metrics.ts';
import type { Worker } from './service.ts';

/**
 * A worker that runs `task` every `intervalMs`, never two runs at once. A failed run is logged
 * and the next one comes as planned; stopping waits for the run in progress.
 */
export function periodicWorker(
  name: string,
  intervalMs: number,
  task: () => Promise<unknown>,
  logger: Logger,
): Worker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  return {
    name,
    start() {
      timer = setInterval(() => {
        running ??= task()
          .catch((err: unknown) => logFor(logger, 'sweep').warn({ err }, `${name} failed`))
          .finally(() => {
            running = undefined;
          });
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * One step of a sweep for each item: an item that fails is logged with `describe(item)`, counted
 * in `uplink.sweep.failures{sweep}`, and left for the next run, while the rest of the run goes on.
 * One bad item (a blob storage will not delete, say) never stops clean-up for all the others.
 */
export async function sweepEach<T>(
  sweep: string,
  items: Iterable<T>,
  handle: (item: T) => Promise<void>,
  options: { logger: Logger; describe: (item: T) => Record<string, unknown> },
): Promise<{ done: number; failed: number }> {
  let done = 0;
  let failed = 0;
  for (const item of items) {
    try {
      await handle(item);
      done += 1;
    } catch (err) {
      failed += 1;
      recordSweepFailure(sweep);
      logFor(options.logger, 'sweep').warn(
        { sweep, err, ...options.describe(item) },
        `${sweep}: one item failed; the next run tries it again`,
      );
    }
  }
  return { done, failed };
}

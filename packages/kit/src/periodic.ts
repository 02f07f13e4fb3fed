import type { Logger } from 'pino';
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
          .catch((err: unknown) => logger.warn({ err, type: 'sweep' }, `${name} failed`))
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

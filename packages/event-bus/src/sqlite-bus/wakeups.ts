/**
 * Wakes the bus's sources when something they wait for may have happened: a publish, a
 * settlement, a changed consumer. Waiters look again rather than trust what woke them, so one
 * signal serves every kind of change and a spurious wake costs one query.
 */
export class Wakeups {
  readonly #waiting = new Set<() => void>();

  notify(): void {
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const wake of waiting) wake();
  }

  /**
   * Resolves on the next notify(), after `delayMs` when given, or when the waiter is woken
   * through `wakers` (how a source's stop() ends its pending waits).
   */
  wait(delayMs: number | undefined, wakers: Set<() => void>): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#waiting.delete(wake);
        wakers.delete(wake);
        resolve();
      };
      // Unref'd: a source waiting for work must not keep the process alive.
      const timer = delayMs === undefined ? undefined : setTimeout(wake, timerDelay(delayMs)).unref();
      this.#waiting.add(wake);
      wakers.add(wake);
    });
  }
}

/** setTimeout fires at once for delays past 2^31 - 1 ms; waking early only means looking again. */
const timerDelay = (delayMs: number): number => Math.min(Math.max(delayMs, 1), 2 ** 31 - 1);

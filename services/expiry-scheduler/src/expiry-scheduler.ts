import type { OutboxPublisher } from '@uplink/event-bus';
import { type Clock, type Logger, logFor } from '@uplink/kit';
import type { LinkFacts } from '@uplink/links';
import type { LinkStore } from '@uplink/store';

/** Waits before the 2nd, 3rd and 4th attempt to expire a link after a database error. */
const RETRY_DELAYS_MS = [100, 500, 2_000];

const BACKUP_GRACE_MS = 1_000;

export type ExpirySchedulerOptions = {
  links: LinkStore;
  outbox: OutboxPublisher;
  clock: Clock;
  logger: Logger;
  lookaheadMs: number;
  sweepIntervalMs: number;
  /** Expiry updates in flight at once; the rest wait their turn. */
  concurrency?: number;
  sweepBatch?: number;
};

/**
 * Moves pending links to expired on time. Two sources feed it: `link.created` events (a timer
 * for links due within the lookahead) and a periodic indexed sweep that catches everything else
 * — links created before this replica started, events handled by another replica, timers lost
 * in a crash. Replicas may race on the same link: the conditional update lets exactly one win,
 * and only the winner's outbox entry exists to be published.
 *
 * A timer learned from the event is the link's owner and fires at `expiresAt`. A timer learned
 * from the sweep is a backup: it fires `BACKUP_GRACE_MS` later, so replicas do not all hit the
 * database for the same link at the moment precision matters; if the owner did its job, the
 * backup's conditional update matches nothing.
 */
export class ExpiryScheduler {
  readonly #opts: Required<ExpirySchedulerOptions>;
  readonly #log: Logger;
  readonly #timers = new Map<string, { timer: NodeJS.Timeout; backup: boolean }>();
  readonly #queue: Array<{ link: LinkFacts; attempt: number }> = [];
  #active = 0;
  #idle: Array<() => void> = [];
  #sweepTimer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(opts: ExpirySchedulerOptions) {
    this.#opts = { concurrency: 16, sweepBatch: 5_000, ...opts };
    this.#log = logFor(opts.logger, 'expiry');
  }

  /**
   * Schedules a link learned from `link.created` (or, as a backup, from the sweep); far-off
   * links are left to a later sweep.
   */
  watch(link: LinkFacts, role: 'owner' | 'backup' = 'owner'): void {
    if (this.#stopped) return;
    const backup = role === 'backup';
    const existing = this.#timers.get(link._id);
    // An owner timer replaces a backup; anything else is already covered.
    if (existing && (backup || !existing.backup)) return;
    const delay =
      link.expiresAt.getTime() - this.#opts.clock.now().getTime() + (backup ? BACKUP_GRACE_MS : 0);
    if (delay > this.#opts.lookaheadMs) return;
    if (existing) clearTimeout(existing.timer);
    this.#timers.delete(link._id);
    if (delay <= 0) {
      this.#enqueue(link);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(link._id);
      this.#enqueue(link);
    }, delay);
    this.#timers.set(link._id, { timer, backup });
  }

  /** Expires what is due and schedules what falls due within the lookahead. */
  async sweep(): Promise<number> {
    const horizon = new Date(this.#opts.clock.now().getTime() + this.#opts.lookaheadMs);
    const due = await this.#opts.links.findPendingDueBefore(horizon, this.#opts.sweepBatch);
    for (const link of due) this.watch(link, 'backup');
    return due.length;
  }

  start(): void {
    this.#stopped = false;
    const loop = async () => {
      await this.sweep().catch((err) => this.#log.warn({ err }, 'expiry sweep failed'));
      if (!this.#stopped) this.#sweepTimer = setTimeout(loop, this.#opts.sweepIntervalMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#sweepTimer);
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.length = 0;
    if (this.#active > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #enqueue(link: LinkFacts, attempt = 1): void {
    this.#queue.push({ link, attempt });
    this.#drain();
  }

  #drain(): void {
    while (this.#active < this.#opts.concurrency && this.#queue.length > 0) {
      const { link, attempt } = this.#queue.shift() as { link: LinkFacts; attempt: number };
      this.#active++;
      void this.#expire(link, attempt).finally(() => {
        this.#active--;
        if (this.#active === 0 && this.#queue.length === 0)
          for (const resolve of this.#idle.splice(0)) resolve();
        this.#drain();
      });
    }
  }

  async #expire(link: LinkFacts, attempt: number): Promise<void> {
    try {
      const now = this.#opts.clock.now();
      if (now < link.expiresAt) {
        this.watch(link); // Timers may fire a hair early against the wall clock.
        return;
      }
      const expired = await this.#opts.links.expire(link, now);
      if (expired) {
        this.#opts.outbox.publishSoon(link._id, expired.outbox);
        this.#log.debug(
          { linkId: link._id, lateMs: now.getTime() - link.expiresAt.getTime() },
          'link expired',
        );
      }
    } catch (err) {
      if (this.#stopped) return;
      const delay = RETRY_DELAYS_MS[attempt - 1];
      if (delay === undefined) {
        // Still pending, so the next sweep finds it again.
        this.#log.error({ err, linkId: link._id }, 'could not expire link; leaving it to the next sweep');
        return;
      }
      // A busy or briefly unreachable database should not cost a whole sweep interval.
      this.#log.warn({ err, linkId: link._id, attempt, retryInMs: delay }, 'could not expire link; retrying');
      const timer = setTimeout(() => {
        this.#timers.delete(link._id);
        this.#enqueue(link, attempt + 1);
      }, delay);
      this.#timers.set(link._id, { timer, backup: false });
    }
  }
}

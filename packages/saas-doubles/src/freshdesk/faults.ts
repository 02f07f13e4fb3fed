// How the Freshdesk double answers an injected fault (the plan of which request gets which is the
// doubles' one FaultPlan, ../faults.ts): as Freshdesk, or the load balancer in front of it, would.
import { type DoubleFault, gatewayErrorPage } from '../faults.ts';
import { drain, type Exchange, reply } from './exchange.ts';
import { internalError } from './freshdesk-errors.ts';

/** Which Freshdesk requests a scripted fault may hit; all of them when empty. */
export type FreshdeskFaultMatch = { method?: string | undefined; ticketId?: number | undefined };

export class FreshdeskFaultAnswers {
  readonly #holds = new Set<NodeJS.Timeout>();

  /** Holds the request, unread, for `ms`, or until its client gives up. */
  hold(exchange: Exchange, ms: number): Promise<void> {
    const { socket } = exchange.req;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#holds.delete(timer);
        resolve();
      }, ms);
      this.#holds.add(timer);
      socket.once('close', () => {
        clearTimeout(timer);
        this.#holds.delete(timer);
        resolve();
      });
    });
  }

  /**
   * Answers with the fault instead of what the request asked for; `performed`: the request was
   * carried out, and this status is what it would have been answered.
   */
  async answer(exchange: Exchange, fault: DoubleFault, performed?: number): Promise<void> {
    const { req, res, record } = exchange;
    const after =
      performed === undefined ? '' : ` after performing the request (would have answered ${performed})`;
    switch (fault.type) {
      case 'rate-limit':
        await reply(
          exchange,
          429,
          { message: 'You have exceeded the limit of requests per hour' },
          {
            headers: { 'retry-after': String(fault.retryAfterSeconds ?? 1), 'x-ratelimit-remaining': '0' },
            error: 'rate limited',
          },
        );
        return;
      case 'server-error': {
        const status = fault.status ?? 500;
        if (status === 500) {
          await reply(exchange, 500, internalError, { error: `injected 500${after}` });
          return;
        }
        await drain(req);
        const html = gatewayErrorPage(status);
        res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
        res.end(html);
        record.status = status;
        record.error = `injected ${status}${after}`;
        return;
      }
      case 'reset':
        record.error = `injected reset${fault.delayMs ? ` after ${fault.delayMs} ms` : ''}${after}`;
        req.socket.destroy();
        return;
      case 'slow':
        return; // held already; the request is answered as usual
    }
  }

  /** Ends every hold (the double stops). */
  stop(): void {
    for (const timer of this.#holds) clearTimeout(timer);
    this.#holds.clear();
  }
}

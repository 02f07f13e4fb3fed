// One request to the Freshdesk double as it is handled and logged, and how the double answers.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DoubleFault } from '../faults.ts';

export interface FreshdeskRequestRecord {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  /** The ticket id in the path, when there is one. */
  readonly ticketId: number | null;
  /** ms since the epoch, sub-millisecond (performance clock): subtract two to time a retry. */
  readonly receivedAt: number;
  readonly finishedAt: number | null;
  /** null: no HTTP response was sent (reset, lost response, client gone). */
  readonly status: number | null;
  /** The injected fault that shaped the answer, if one did. */
  readonly fault: DoubleFault['type'] | null;
  readonly noteId: number | null;
  /** Why the request was refused or failed, for test failure messages. */
  readonly error: string | null;
}

export type MutableRecord = { -readonly [K in keyof FreshdeskRequestRecord]: FreshdeskRequestRecord[K] };

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: MutableRecord;
  /** Set by a fault that lets the request be performed: what happens instead of the answer. */
  answerInstead?: ((status: number) => Promise<void>) | undefined;
}

/** Answers in Freshdesk's manner (its headers), unless a fault takes the answer's place. */
export async function reply(
  exchange: Exchange,
  status: number,
  body: unknown,
  options: { drain?: boolean; headers?: Record<string, string>; error?: string } = {},
): Promise<void> {
  const { req, res, record } = exchange;
  if (options.drain ?? true) await drain(req);
  if (options.error !== undefined) record.error = options.error;
  const instead = exchange.answerInstead;
  if (instead !== undefined) {
    exchange.answerInstead = undefined;
    await instead(status);
    return;
  }
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'x-request-id': randomUUID(),
    'x-ratelimit-total': '3000',
    'x-ratelimit-remaining': '2999',
    'x-ratelimit-used-currentrequest': '1',
    ...options.headers,
  });
  res.end(payload);
  record.status = status;
}

export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  for await (const _ of req) {
    // discard
  }
}

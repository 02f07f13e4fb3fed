import type { DeliveryTarget, UploadCompletedEvent, UploadedFile } from '@uplink/contracts';
import { isEgressRefusal } from '@uplink/egress';
import { retryAfterMs } from '@uplink/kit';

/** What a destination gets for one delivery attempt. */
export type Delivery = {
  event: UploadCompletedEvent;
  /**
   * Every file of the submission, in the order the customer sent them: one or more (one for an
   * event of schema version 1). The first file's upload id is the submission's reference.
   */
  files: readonly [UploadedFile, ...UploadedFile[]];
  /** What the customer wrote for the agent with the files, when they wrote something. */
  customerMessage: string | undefined;
  /** The verified file as a stream, conditional on its ETag; undefined when it changed or is gone. */
  openFile(file: UploadedFile): Promise<{ stream: NodeJS.ReadableStream; size: number } | undefined>;
  /**
   * A raw read-only storage URL to the file valid for `ttlMs`: for machines (the webhook). It
   * cannot be revoked; never give it to a person's browser.
   */
  fileUrl(file: UploadedFile, ttlMs: number): Promise<string>;
  /**
   * A new viewer link for the agent, valid for `ttlMs`: a page with the file's name, an inline
   * player and a download button, behind an unguessable capability that can be revoked
   * (`DELETE /v1/links/{id}/file-links`). Each call mints another capability.
   */
  viewerUrl(file: UploadedFile, ttlMs: number): Promise<string>;
  /**
   * An earlier attempt may have reached the destination (it crashed or timed out after
   * sending): look for its result before posting again.
   */
  uncertain: boolean;
  /** Aborted when the attempt runs out of time or the service stops. */
  signal: AbortSignal;
};

/**
 * How an attempt ended. `retry` leaves the link `received` for the next attempt (after
 * `afterMs` when the destination said so); `failed` is permanent: the link becomes
 * `delivery_failed` with `reason`, which a person should be able to act on.
 */
export type DeliveryOutcome =
  | { kind: 'posted'; target: Omit<DeliveryTarget, 'destination'> }
  | { kind: 'retry'; reason: string; afterMs?: number }
  | {
      kind: 'failed';
      reason: string;
      /** The destination can no longer take it (a finished Flex task): try the tenant's fallback. */
      fallback?: boolean;
    };

export interface Destination {
  deliver(delivery: Delivery): Promise<DeliveryOutcome>;
}

/** The outcome for an HTTP status that is not a success, by the rules every destination shares. */
export function outcomeForStatus(status: number, what: string, retryAfter: string | null): DeliveryOutcome {
  if (status === 429) {
    const afterMs = retryAfterMs(retryAfter);
    return {
      kind: 'retry',
      reason: `${what} answered 429 (rate limited)`,
      ...(afterMs !== undefined ? { afterMs } : {}),
    };
  }
  if (status === 408 || status >= 500) return { kind: 'retry', reason: `${what} answered ${status}` };
  if (status >= 300 && status < 400) {
    return { kind: 'failed', reason: `${what} answered ${status}, a redirect, which Uplink does not follow` };
  }
  return { kind: 'failed', reason: `${what} answered ${status}` };
}

/**
 * Network errors and timeouts: the request may or may not have arrived. An address Uplink does
 * not call fails for good, in words that say nothing about what is there (no status, no address).
 */
export function outcomeForError(err: unknown, what: string): DeliveryOutcome {
  if (isEgressRefusal(err)) {
    return {
      kind: 'failed',
      reason: `${what}: the destination's address is not allowed (Uplink calls only public internet addresses); change it in Settings.`,
    };
  }
  const message =
    err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  return { kind: 'retry', reason: `${what} did not answer: ${message}` };
}

/** A destination whose stored configuration may not be used: every attempt fails, saying why. */
export class RefusedDestination implements Destination {
  readonly #reason: string;

  constructor(reason: string) {
    this.#reason = reason;
  }

  async deliver(): Promise<DeliveryOutcome> {
    return { kind: 'failed', reason: this.#reason };
  }
}

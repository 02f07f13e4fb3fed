import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EgressClient, EgressResponse } from '@uplink/egress';
import type { Delivery, DeliveryOutcome, Destination } from './destination.ts';
import { outcomeForError, outcomeForStatus } from './destination.ts';

export const SIGNATURE_HEADER = 'Uplink-Signature';
export const DELIVERY_ID_HEADER = 'Uplink-Delivery-Id';
/** How long the file URL in a webhook stays valid: enough for a receiver to fetch it, not more. */
const FILE_URL_TTL_MS = 60 * 60 * 1000;
const REQUEST_TIMEOUT_MS = 15_000;
/** A receiver's answer is not used; a little is read so the connection can be reused. */
const MAX_ANSWER_BYTES = 16 * 1024;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the form Stripe made familiar. */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * The one form `Uplink-Signature` takes, and all a verifier accepts: a decimal timestamp (no sign,
 * exponent or leading zero) and one HMAC as 64 lower-case hex digits, nothing before, between or
 * after. Uplink signs with the tenant's one current secret, so there is exactly one `v1`; a
 * receiver rotating its secret tries each secret it holds against that one value.
 */
const SIGNATURE_FORMAT = /^t=([1-9][0-9]{0,11}),v1=([0-9a-f]{64})$/;

/**
 * What a receiver does with a request (also in the README): parse the header strictly, recompute
 * the HMAC over the raw body with the timestamp, compare in constant time, and refuse timestamps
 * more than `toleranceSeconds` from now, so a captured request cannot be replayed later. Within
 * that window a receiver drops repeats by `Uplink-Delivery-Id`.
 */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string | null,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const match = header === null ? null : SIGNATURE_FORMAT.exec(header);
  if (match === null) return false;
  const [, timestamp = '', given = ''] = match;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  // Both are 32 bytes: the format guaranteed 64 hex digits.
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/**
 * The payload's version: 2 lists every file of the submission in `files` and carries the
 * customer's message; `file` is the first of them, as version 1 (one file, no `version` field) had
 * it, for receivers written against that.
 */
export const WEBHOOK_PAYLOAD_VERSION = 2;

/**
 * POSTs the submission as signed JSON: the link, its ticket, the customer's message, each file's
 * metadata and a short-lived URL to fetch it. Any 2xx is success. The delivery id header is the
 * same on every retry of one submission, so a receiver can drop duplicates (it may get one after a
 * timeout that did arrive).
 */
export class WebhookDestination implements Destination {
  readonly #url: string;
  readonly #secret: string;
  readonly #linkTtlMs: number;
  readonly #now: () => Date;
  readonly #egress: EgressClient;

  /**
   * `linkTtlMs`: how long the agent's viewer link ("Go to message") stays valid; `egress`: the
   * one client for tenant-chosen hosts.
   */
  constructor(
    config: { url: string; secret: string },
    options: { linkTtlMs: number; egress: EgressClient; now?: () => Date },
  ) {
    this.#url = config.url;
    this.#secret = config.secret;
    this.#linkTtlMs = options.linkTtlMs;
    this.#egress = options.egress;
    this.#now = options.now ?? (() => new Date());
  }

  async deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    const { event } = delivery;
    const first = delivery.files[0];
    const deliveryId = `${event.linkId}:${first.uploadId}`;
    const urlExpiresAt = new Date(this.#now().getTime() + FILE_URL_TTL_MS).toISOString();
    const files = [];
    for (const file of delivery.files) {
      files.push({
        name: file.fileName,
        contentType: file.contentType,
        size: file.size,
        kind: file.kind,
        category: file.category,
        url: await delivery.fileUrl(file, FILE_URL_TTL_MS),
        urlExpiresAt,
      });
    }
    const body = JSON.stringify({
      type: 'upload.received',
      version: WEBHOOK_PAYLOAD_VERSION,
      deliveryId,
      tenantId: event.tenantId,
      linkId: event.linkId,
      shortId: event.data.shortId,
      ticket: event.data.ticket,
      contextMessage: event.data.contextMessage ?? null,
      customerMessage: delivery.customerMessage ?? null,
      receivedAt: event.data.receivedAt,
      files,
      file: files[0],
    });
    // The receiver's own system is out of our sight: the agent's "Go to message" opens the first
    // file's viewer page. Made before posting, so a posted webhook is never retried for want of it.
    const viewer = await delivery.viewerUrl(first, this.#linkTtlMs);
    const timestamp = Math.floor(this.#now().getTime() / 1000);
    let response: EgressResponse;
    try {
      response = await this.#egress.request(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Uplink-Webhook/1',
          [SIGNATURE_HEADER]: signWebhook(this.#secret, body, timestamp),
          [DELIVERY_ID_HEADER]: deliveryId,
        },
        body,
        signal: delivery.signal,
        timeoutMs: REQUEST_TIMEOUT_MS,
        maxResponseBytes: MAX_ANSWER_BYTES,
      });
    } catch (err) {
      return outcomeForError(err, 'The webhook');
    }
    if (response.ok) return { kind: 'posted', target: { noteId: deliveryId, url: viewer, mode: 'link' } };
    return outcomeForStatus(response.status, 'The webhook', response.headers.get('retry-after'));
  }
}

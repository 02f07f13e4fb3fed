import {
  completedFiles,
  type Provider,
  UPLOAD_COMPLETED_SCHEMA_VERSION,
  type UploadCompletedEvent,
  type UploadedFile,
} from '@uplink/contracts';
import { type OutboxPublisher, RetryLater } from '@uplink/event-bus';
import { type Clock, hashSecret, type Logger } from '@uplink/kit';
import { type LinkDocument, shareIdOf } from '@uplink/links';
import type { BlobStore } from '@uplink/storage';
import type { AuditRecorder, FileShareStore, LinkStore } from '@uplink/store';
import type { DestinationStore, Destinations } from '@uplink/tenants';
import { recordDelivery } from './delivery-metrics.ts';
import type { Delivery, DeliveryOutcome, Destination } from './destinations/destination.ts';

/** Builds the destination for a link's provider from the tenant's (opened) configuration. */
export type DestinationFactory = (provider: Provider, destinations: Destinations) => Destination | undefined;

export type NoteRelayOptions = {
  links: LinkStore;
  shares: Pick<FileShareStore, 'create'>;
  /** Viewer links are this plus the share's token (upload-gateway's `/f/`), ending in '/'. */
  publicFileBaseUrl: string;
  destinations: Pick<DestinationStore, 'open'>;
  storage: BlobStore;
  outbox: OutboxPublisher;
  audit: AuditRecorder;
  destinationFor: DestinationFactory;
  clock: Clock;
  logger: Logger;
  /** How long one attempt may take before another may start (the consumer's ack wait). */
  attemptMs: number;
};

/** Why a delivery fails when one of its files is gone, or is no longer the file verified at completion. */
function fileMissingReason(file: UploadedFile, fileCount: number): string {
  const outcome = fileCount === 1 ? 'it was not delivered' : `none of the ${fileCount} files was delivered`;
  return `The file ${file.fileName} is missing from storage (deleted, or changed since it was verified), so ${outcome}.`;
}

/** Who the audit log says made a viewer link: note-relay, for the delivery it put the link in. */
const NOTE_RELAY = { kind: 'system', name: 'note-relay' } as const;

const PROVIDER_NAMES: Record<Provider, string> = {
  freshdesk: 'Freshdesk',
  'twilio-flex': 'Twilio Flex',
  webhook: 'webhook',
};

/**
 * Posts each received submission (every file, and the customer's message) to its ticket, exactly
 * once as far as the destination allows. The
 * link document guards the external call: an attempt first claims the delivery with a lease (a
 * conditional update), then posts, then records the outcome with a second conditional update
 * that also queues `note.posted` or `note.failed`. A redelivered event for a delivered link does
 * nothing; one whose earlier attempt died mid-way claims again after the lease and tells the
 * destination that the earlier attempt may have arrived (`uncertain`), so it can look first.
 */
export class NoteRelay {
  readonly #deps: NoteRelayOptions;
  readonly #fileBaseUrl: string;

  constructor(deps: NoteRelayOptions) {
    this.#deps = deps;
    this.#fileBaseUrl = deps.publicFileBaseUrl.endsWith('/')
      ? deps.publicFileBaseUrl
      : `${deps.publicFileBaseUrl}/`;
  }

  /**
   * `deliveryCount` is the bus's count of this event's deliveries: above one, an earlier attempt
   * may have reached the destination even if the link's own count says otherwise (its claim can
   * be lost, e.g. a store that applies concurrent updates non-atomically), so the destination
   * looks first either way.
   */
  async handle(
    event: UploadCompletedEvent,
    { deliveryCount, isLastDelivery }: { deliveryCount: number; isLastDelivery: boolean },
  ): Promise<void> {
    const { links, clock, logger } = this.#deps;
    const now = clock.now();
    const link = await links.claimDelivery(event.linkId, now, this.#deps.attemptMs);
    if (!link) return this.#notClaimed(event, now);
    const provider = link.ticket.provider;
    const log = logger.child({ linkId: link._id, provider, attempt: link.delivery?.attempts });

    const destinations = await this.#deps.destinations.open(link.tenantId);
    const destination = destinations ? this.#deps.destinationFor(provider, destinations) : undefined;
    if (!destination || !destinations) {
      return this.#fail(
        link,
        provider,
        `No ${PROVIDER_NAMES[provider]} destination is configured for this tenant.`,
      );
    }

    const uncertain = (link.delivery?.attempts ?? 1) > 1 || deliveryCount > 1;
    const files = completedFiles(event);
    // Checked here for every destination: one that only passes a URL (the webhook, a Flex viewer
    // link) would otherwise report success for a file nobody can open.
    let outcome =
      (await this.#fileProblem(files)) ?? (await this.#attempt(destination, event, files, link, uncertain));
    if (outcome.kind === 'failed' && outcome.fallback) {
      const fallback = this.#deps.destinationFor('webhook', destinations);
      if (fallback) {
        log.warn(
          { reason: outcome.reason },
          'destination refused for good; delivering to the fallback webhook',
        );
        const fallbackOutcome = await this.#attempt(fallback, event, files, link, uncertain);
        if (fallbackOutcome.kind === 'posted') return this.#posted(link, 'webhook', fallbackOutcome);
        outcome = {
          ...fallbackOutcome,
          reason: `${outcome.reason} The fallback webhook: ${fallbackOutcome.reason}`,
        };
      }
    }

    if (outcome.kind === 'posted') return this.#posted(link, provider, outcome);
    if (outcome.kind === 'failed') return this.#fail(link, provider, outcome.reason);
    if (isLastDelivery) {
      return this.#fail(
        link,
        provider,
        `Gave up after ${link.delivery?.attempts ?? 1} attempts: ${outcome.reason}`,
      );
    }
    await links.releaseDelivery(link._id, outcome.reason, clock.now());
    recordDelivery(provider, 'retry');
    log.warn({ reason: outcome.reason, retryInMs: outcome.afterMs }, 'delivery attempt failed; will retry');
    // With the destination's own wait (Retry-After) when it gave one, else the consumer's backoff.
    if (outcome.afterMs !== undefined) throw new RetryLater(outcome.afterMs, outcome.reason);
    throw new Error(outcome.reason);
  }

  /** Undefined when every file is in storage as verified; else why this attempt cannot deliver them. */
  async #fileProblem(files: Delivery['files']): Promise<DeliveryOutcome | undefined> {
    let stored: Awaited<ReturnType<BlobStore['facts']>>[];
    try {
      stored = await Promise.all(files.map((file) => this.#deps.storage.facts(file.blobName)));
    } catch (err) {
      return { kind: 'retry', reason: `reading the files' properties failed: ${(err as Error).message}` };
    }
    const missing = files.find((file, index) => stored[index]?.etag !== file.etag);
    return missing === undefined
      ? undefined
      : { kind: 'failed', reason: fileMissingReason(missing, files.length) };
  }

  async #attempt(
    destination: Destination,
    event: UploadCompletedEvent,
    files: Delivery['files'],
    link: LinkDocument,
    uncertain: boolean,
  ): Promise<DeliveryOutcome> {
    const { storage, shares, audit, clock } = this.#deps;
    // Leave a margin so the outcome is recorded before the lease (and the ack wait) runs out.
    const signal = AbortSignal.timeout(Math.max(1_000, this.#deps.attemptMs - 5_000));
    const delivery: Delivery = {
      event,
      files,
      // Only a version 2 event can carry one: events of version 1 hold one file and no message.
      customerMessage:
        event.schemaVersion === UPLOAD_COMPLETED_SCHEMA_VERSION ? event.data.customerMessage : undefined,
      openFile: (file) => storage.openRead(file.blobName, file.etag, signal),
      fileUrl: (file, ttlMs) =>
        storage.readUrl(file.blobName, ttlMs, clock.now(), {
          contentType: file.contentType,
          fileName: file.fileName,
          disposition: 'attachment',
        }),
      viewerUrl: async (file, ttlMs) => {
        const { token, expiresAt } = await shares.create({
          tenantId: link.tenantId,
          linkId: link._id,
          file,
          ttlMs,
          now: clock.now(),
        });
        await audit.record(link.tenantId, 'viewer_link.created', NOTE_RELAY, {
          linkId: link._id,
          // Which file of the submission the link opens, named as a preview's entry names it.
          details: {
            shareId: shareIdOf(hashSecret(token)),
            uploadId: file.uploadId,
            fileName: file.fileName,
            provider: link.ticket.provider,
            expiresAt: expiresAt.toISOString(),
          },
        });
        return `${this.#fileBaseUrl}${token}`;
      },
      uncertain,
      signal,
    };
    try {
      return await destination.deliver(delivery);
    } catch (err) {
      return { kind: 'retry', reason: `delivery crashed: ${(err as Error).message}` };
    }
  }

  async #posted(
    link: LinkDocument,
    provider: Provider,
    outcome: Extract<DeliveryOutcome, { kind: 'posted' }>,
  ): Promise<void> {
    const delivered = await this.#deps.links.markDelivered(
      link,
      { destination: provider, ...outcome.target },
      this.#deps.clock.now(),
    );
    if (delivered) this.#deps.outbox.publishSoon(delivered._id);
    recordDelivery(provider, 'posted');
    this.#deps.logger.info(
      {
        linkId: link._id,
        provider,
        noteId: outcome.target.noteId,
        mode: outcome.target.mode,
      },
      'file delivered',
    );
  }

  async #fail(link: LinkDocument, provider: Provider, reason: string): Promise<void> {
    const failed = await this.#deps.links.markDeliveryFailed(link, provider, reason, this.#deps.clock.now());
    if (failed) this.#deps.outbox.publishSoon(failed._id);
    recordDelivery(provider, 'failed');
    this.#deps.logger.error({ linkId: link._id, provider, reason }, 'delivery failed');
  }

  /** The claim found nothing to do, or someone else doing it. */
  async #notClaimed(event: UploadCompletedEvent, now: Date): Promise<void> {
    const link = await this.#deps.links.getById(event.linkId);
    const leaseUntil = link?.delivery?.leaseUntil;
    if (link?.status === 'received' && leaseUntil && leaseUntil > now) {
      // Another attempt holds the lease: look again when it ends.
      throw new RetryLater(
        leaseUntil.getTime() - now.getTime() + 100,
        'another attempt is delivering this link',
      );
    }
    // Delivered, failed for good, or unknown: a redelivered event has nothing left to do.
    this.#deps.logger.debug({ linkId: event.linkId, status: link?.status }, 'nothing to deliver');
  }
}

import type {
  Actor,
  DeliveryTarget,
  LinkStatus,
  TicketRef,
  UploadedFile,
  ValidityHours,
} from '@uplink/contracts';
import type { OutboxDocument } from '@uplink/event-bus';

/** One document per link: its state, and the events its transitions still have to publish. */
export type LinkDocument = OutboxDocument & {
  _id: string;
  tenantId: string;
  shortId: string;
  ticket: TicketRef;
  /** SHA-256 of the link token; the token itself is never stored. */
  tokenHash: string;
  contextMessage?: string;
  validityHours: ValidityHours;
  status: LinkStatus;
  createdAt: Date;
  expiresAt: Date;
  updatedAt: Date;
  /** Who created the link; absent on links made before this was recorded. */
  createdBy?: Actor;
  expiredAt?: Date;
  revokedAt?: Date;
  revokedBy?: Actor;
  receivedAt?: Date;
  /** The verified files, in the order the customer sent them: set by pending -> received. */
  files?: UploadedFile[];
  /** What the customer wrote for the agent with the files, when they wrote something. */
  customerMessage?: string;
  /** note-relay's bookkeeping for posting the file to the ticket; see LinkStore.claimDelivery. */
  delivery?: LinkDelivery;
  deliveredAt?: Date;
  deliveryFailedAt?: Date;
  /** Set once the agent was told that the customer tried to send while receiving was off. */
  rejectionNotifiedAt?: Date;
  /** The last file the malware scanner blocked: the agent sees it on the link. */
  blockedUpload?: BlockedUploadRecord;
  /** Set once the received files were deleted from storage (the tenant's retention ran out). */
  fileDeletedAt?: Date;
};

/** What a customer sends with one submission: every verified file, and their message if any. */
export type Submission = { files: UploadedFile[]; customerMessage?: string };

/** A link as stored: links received before a submission could hold several files have one `upload`. */
export type StoredLinkDocument = LinkDocument & { upload?: UploadedFile };

/** A stored link in today's shape, whichever adapter read it: a legacy `upload` is `files: [upload]`. */
export function linkFromStored(stored: StoredLinkDocument): LinkDocument {
  const { upload, ...link } = stored;
  if (upload === undefined || link.files !== undefined) return link;
  return { ...link, files: [upload] };
}

export type BlockedUploadRecord = { uploadId: string; fileName: string; signature: string; blockedAt: Date };

/** Whether it is posted or failed shows in the link's status; this is the bookkeeping around it. */
export type LinkDelivery = {
  /** Attempts started; more than one means an earlier one may have reached the destination. */
  attempts: number;
  /** Until then the attempt in progress owns the delivery. */
  leaseUntil?: Date;
  lastError?: string;
  target?: DeliveryTarget;
  reason?: string;
};

/** What never changes after creation: enough to build any of the link's events. */
export type LinkFacts = Pick<LinkDocument, '_id' | 'tenantId' | 'shortId' | 'ticket' | 'expiresAt'>;

export const LINK_FACTS_PROJECTION = { _id: 1, tenantId: 1, shortId: 1, ticket: 1, expiresAt: 1 } as const;

/**
 * The status a reader should see. Expiry is decided by the server's clock at read time, so a
 * pending link past `expiresAt` is expired whether or not the scheduler has run yet.
 */
export function effectiveStatus(doc: Pick<LinkDocument, 'status' | 'expiresAt'>, now: Date): LinkStatus {
  return doc.status === 'pending' && doc.expiresAt.getTime() <= now.getTime() ? 'expired' : doc.status;
}

/**
 * When the link's delivery ended: `deliveredAt` when delivered, `deliveryFailedAt` when
 * delivery failed, undefined in every other status. Retention counts from it.
 */
export function settledAt(
  doc: Pick<LinkDocument, 'status' | 'deliveredAt' | 'deliveryFailedAt'>,
): Date | undefined {
  if (doc.status === 'delivered') return doc.deliveredAt;
  if (doc.status === 'delivery_failed') return doc.deliveryFailedAt;
  return undefined;
}

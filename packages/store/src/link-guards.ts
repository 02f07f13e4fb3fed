import type { LinkDocument } from '@uplink/links';

/**
 * A condition a link must meet for a change to happen, in both encodings side by side: `filter`
 * for MongoDB's conditional single-document update, `holds` for the SQLite adapter, which checks
 * the row it read inside its write transaction. Written once here so the two cannot drift; the
 * conformance suite runs the same cases on both.
 */
export type LinkGuard = {
  filter(now: Date): Record<string, unknown>;
  holds(link: LinkDocument, now: Date): boolean;
};

type LinkGuardName = 'open' | 'due' | 'received' | 'deliveryFree' | 'rejectionUnnoted' | 'fileKept';

/** The guard of each transition (the adapters name which one each uses). */
export const linkGuards: Record<LinkGuardName, LinkGuard> = {
  /** Pending and not past `expiresAt`: the only state a customer can still act on (receive, revoke). */
  open: {
    filter: (now) => ({ status: 'pending', expiresAt: { $gt: now } }),
    holds: (link, now) => link.status === 'pending' && link.expiresAt.getTime() > now.getTime(),
  },
  /** Pending and `expiresAt` reached: what expiry-scheduler may expire. */
  due: {
    filter: (now) => ({ status: 'pending', expiresAt: { $lte: now } }),
    holds: (link, now) => link.status === 'pending' && link.expiresAt.getTime() <= now.getTime(),
  },
  /** Received: delivery may be attempted, released, and end delivered or failed. */
  received: {
    filter: () => ({ status: 'received' }),
    holds: (link) => link.status === 'received',
  },
  /** Received and nobody holds the delivery: never claimed, or the holder's lease ran out. */
  deliveryFree: {
    filter: (now) => ({
      status: 'received',
      $or: [{ delivery: { $exists: false } }, { 'delivery.leaseUntil': { $lte: now } }],
    }),
    holds: (link, now) =>
      link.status === 'received' &&
      (link.delivery === undefined ||
        (link.delivery.leaseUntil !== undefined && link.delivery.leaseUntil.getTime() <= now.getTime())),
  },
  /** Pending, and the agent was not yet told of a refused attempt: told once per link. */
  rejectionUnnoted: {
    filter: () => ({ status: 'pending', rejectionNotifiedAt: { $exists: false } }),
    holds: (link) => link.status === 'pending' && link.rejectionNotifiedAt === undefined,
  },
  /** The link's file is still in storage (whatever the status). */
  fileKept: {
    filter: () => ({ fileDeletedAt: { $exists: false } }),
    holds: (link) => link.fileDeletedAt === undefined,
  },
};

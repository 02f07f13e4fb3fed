import type { Actor, DeliveryTarget, LinkStatus, Provider, TicketRef } from '@uplink/contracts';
import type { OutboxEntry } from '@uplink/event-bus';
import {
  type BlockedUploadRecord,
  effectiveStatus,
  type LinkDelivery,
  type LinkDocument,
  type LinkFacts,
  linkFromStored,
  type NewLink,
  newLinkDocument,
  type Submission,
  settledAt,
  transitionEntry,
} from '@uplink/links';
import { linkGuards } from '../link-guards.ts';
import { type LinkStore, type NewLinkAudit, type RevokeResult, zeroStatusCounts } from '../link-store.ts';
import type { SqliteDatabase } from './database.ts';
import { type Columns, DocumentTable, millis } from './document-table.ts';
import type { SqliteAuditLog } from './sqlite-audit-log.ts';
import { outboxLeaseColumn, SqliteOutboxStore } from './sqlite-outbox-store.ts';

const linkColumns: Columns<LinkDocument> = {
  tenant_id: (link) => link.tenantId,
  token_hash: (link) => link.tokenHash,
  provider: (link) => link.ticket.provider,
  ticket_id: (link) => link.ticket.id,
  status: (link) => link.status,
  created_at: (link) => link.createdAt.getTime(),
  expires_at: (link) => link.expiresAt.getTime(),
  file_settled_at: (link) => (link.files?.length ? millis(settledAt(link)) : null),
  file_deleted_at: (link) => millis(link.fileDeletedAt),
  ...outboxLeaseColumn,
};

/**
 * What MongoDB's `$set: { 'delivery.<field>': … }` makes: the fields set, the others kept, the
 * subdocument created when missing (then without `attempts`, exactly as there).
 */
function withDelivery(link: LinkDocument, fields: Partial<LinkDelivery>): LinkDelivery {
  return { ...link.delivery, ...fields } as LinkDelivery;
}

function linkFacts({ _id, tenantId, shortId, ticket, expiresAt }: LinkDocument): LinkFacts {
  return { _id, tenantId, shortId, ticket, expiresAt };
}

/**
 * LinkStore on SQLite: a row per link in `links` (the document as JSON beside the columns
 * queries use), its outbox in `link_outbox`. Each transition is one write transaction that
 * checks the guard (link-guards.ts, the same rule MongoLinkStore's filters encode), rewrites
 * the link and appends the outbox entry.
 */
export class SqliteLinkStore implements LinkStore {
  readonly outbox: SqliteOutboxStore<LinkDocument>;
  readonly #db: SqliteDatabase;
  readonly #links: DocumentTable<LinkDocument>;
  readonly #audit: SqliteAuditLog;

  /** `audit` is the same file's audit log, where a new link's entry is written with it. */
  constructor(db: SqliteDatabase, audit: SqliteAuditLog) {
    this.#db = db;
    this.#audit = audit;
    this.#links = new DocumentTable(db, 'links', linkColumns, linkFromStored);
    this.outbox = new SqliteOutboxStore(db, this.#links, 'link_outbox');
  }

  /** The schema is created when the database is opened. */
  async ensureIndexes(): Promise<void> {}

  async create(input: NewLink, audit?: NewLinkAudit): Promise<{ link: LinkDocument; token: string }> {
    const created = newLinkDocument(input);
    const { outbox = [], ...link } = created.link;
    await this.#db.write(() => {
      this.#links.insert(link);
      for (const entry of outbox) this.outbox.append(link._id, entry);
      if (audit) this.#audit.appendWithin(link.tenantId, audit(created.link));
    });
    return created;
  }

  async get(tenantId: string, id: string): Promise<LinkDocument | null> {
    return this.#tenantLink(tenantId, id);
  }

  async getById(id: string): Promise<LinkDocument | null> {
    return this.#links.get(id);
  }

  async findByTokenHash(tokenHash: string): Promise<LinkDocument | null> {
    return this.#links.find('token_hash = ?', [tokenHash])[0] ?? null;
  }

  async listByTicket(tenantId: string, ticket: TicketRef, limit: number): Promise<LinkDocument[]> {
    return this.#links.find(
      'tenant_id = ? AND provider = ? AND ticket_id = ?',
      [tenantId, ticket.provider, ticket.id, limit],
      'ORDER BY created_at DESC, id DESC LIMIT ?',
    );
  }

  async revoke(tenantId: string, id: string, revokedBy: Actor, now: Date): Promise<RevokeResult> {
    return this.#db.write((): RevokeResult => {
      const link = this.#tenantLink(tenantId, id);
      if (!link) return { outcome: 'not_found' };
      const revoked = this.#transition(
        id,
        (current) =>
          linkGuards.open.holds(current, now)
            ? { ...current, status: 'revoked', revokedAt: now, revokedBy, updatedAt: now }
            : null,
        transitionEntry.revoked(link, now, revokedBy),
      );
      if (revoked) return { outcome: 'revoked', link: revoked };
      return { outcome: 'not_pending', link: { ...link, status: effectiveStatus(link, now) } };
    });
  }

  async expire(link: LinkFacts, now: Date): Promise<LinkDocument | null> {
    return this.#commitTransition(
      link._id,
      (current) =>
        linkGuards.due.holds(current, now)
          ? { ...current, status: 'expired', expiredAt: now, updatedAt: now }
          : null,
      transitionEntry.expired(link, now),
    );
  }

  async markReceived(link: LinkDocument, submission: Submission, now: Date): Promise<LinkDocument | null> {
    const { files, customerMessage } = submission;
    return this.#commitTransition(
      link._id,
      (current) =>
        linkGuards.open.holds(current, now)
          ? {
              ...current,
              status: 'received',
              receivedAt: now,
              files,
              ...(customerMessage !== undefined ? { customerMessage } : {}),
              updatedAt: now,
            }
          : null,
      transitionEntry.received(link, submission, now),
    );
  }

  async claimDelivery(linkId: string, now: Date, leaseMs: number): Promise<LinkDocument | null> {
    return this.#commitTransition(linkId, (current) =>
      linkGuards.deliveryFree.holds(current, now)
        ? {
            ...current,
            delivery: withDelivery(current, {
              attempts: (current.delivery?.attempts ?? 0) + 1,
              leaseUntil: new Date(now.getTime() + leaseMs),
            }),
            updatedAt: now,
          }
        : null,
    );
  }

  async releaseDelivery(linkId: string, error: string, now: Date): Promise<void> {
    await this.#db.write(() =>
      this.#links.update(linkId, (current) =>
        linkGuards.received.holds(current, now)
          ? {
              ...current,
              delivery: withDelivery(current, { leaseUntil: now, lastError: error.slice(0, 1000) }),
              updatedAt: now,
            }
          : null,
      ),
    );
  }

  async markDelivered(link: LinkDocument, target: DeliveryTarget, now: Date): Promise<LinkDocument | null> {
    return this.#commitTransition(
      link._id,
      (current) =>
        linkGuards.received.holds(current, now)
          ? {
              ...current,
              status: 'delivered',
              deliveredAt: now,
              delivery: withDelivery(current, { target }),
              updatedAt: now,
            }
          : null,
      transitionEntry.delivered(link, target, now),
    );
  }

  async markDeliveryFailed(
    link: LinkDocument,
    destination: Provider,
    reason: string,
    now: Date,
  ): Promise<LinkDocument | null> {
    return this.#commitTransition(
      link._id,
      (current) =>
        linkGuards.received.holds(current, now)
          ? {
              ...current,
              status: 'delivery_failed',
              deliveryFailedAt: now,
              delivery: withDelivery(current, { reason: reason.slice(0, 1000) }),
              updatedAt: now,
            }
          : null,
      transitionEntry.deliveryFailed(link, destination, reason, now),
    );
  }

  async hasReceived(linkId: string, uploadId: string): Promise<boolean> {
    return this.#links.get(linkId)?.files?.some((file) => file.uploadId === uploadId) ?? false;
  }

  async noteRejectedAttempt(link: LinkDocument, now: Date): Promise<LinkDocument | null> {
    return this.#commitTransition(
      link._id,
      (current) =>
        linkGuards.rejectionUnnoted.holds(current, now)
          ? { ...current, rejectionNotifiedAt: now, updatedAt: now }
          : null,
      transitionEntry.rejected(link, now),
    );
  }

  async noteBlockedUpload(link: LinkDocument, blocked: BlockedUploadRecord): Promise<LinkDocument | null> {
    const now = blocked.blockedAt;
    return this.#commitTransition(
      link._id,
      (current) =>
        linkGuards.open.holds(current, now) ? { ...current, blockedUpload: blocked, updatedAt: now } : null,
      transitionEntry.blocked(link, blocked),
    );
  }

  async findPendingDueBefore(before: Date, limit: number): Promise<LinkFacts[]> {
    return this.#links
      .find(
        `status = 'pending' AND expires_at <= ?`,
        [before.getTime(), limit],
        'ORDER BY expires_at, id LIMIT ?',
      )
      .map(linkFacts);
  }

  async findFilesPastRetention(
    tenantId: string,
    settledBefore: Date,
    limit: number,
  ): Promise<LinkDocument[]> {
    return this.#links.find(
      'tenant_id = ? AND file_deleted_at IS NULL AND file_settled_at < ?',
      [tenantId, settledBefore.getTime(), limit],
      'ORDER BY file_settled_at, id LIMIT ?',
    );
  }

  async markFileDeleted(linkId: string, now: Date): Promise<boolean> {
    const written = await this.#db.write(() =>
      this.#links.update(linkId, (current) =>
        linkGuards.fileKept.holds(current, now) ? { ...current, fileDeletedAt: now, updatedAt: now } : null,
      ),
    );
    return written !== null;
  }

  async countByStatus(): Promise<Record<LinkStatus, number>> {
    const counts = zeroStatusCounts();
    for (const row of this.#db.all('SELECT status, count(*) AS n FROM links GROUP BY status')) {
      const status = String(row.status) as LinkStatus;
      if (status in counts) counts[status] = Number(row.n);
    }
    return counts;
  }

  #tenantLink(tenantId: string, id: string): LinkDocument | null {
    const link = this.#links.get(id);
    return link?.tenantId === tenantId ? link : null;
  }

  /** #transition as a store method answers it: committed, and on the disk before it returns. */
  #commitTransition(
    id: string,
    change: (current: LinkDocument) => LinkDocument | null,
    entry?: OutboxEntry,
  ): Promise<LinkDocument | null> {
    return this.#db.write(() => this.#transition(id, change, entry));
  }

  /**
   * One transition in one transaction: the link as `change` makes it (null: the guard failed,
   * nothing is written) and its outbox entry. Returns the link as written with its whole
   * outbox, as MongoDB's `returnDocument: 'after'` does.
   */
  #transition(
    id: string,
    change: (current: LinkDocument) => LinkDocument | null,
    entry?: OutboxEntry,
  ): LinkDocument | null {
    return this.#db.transaction(() => {
      const written = this.#links.update(id, change);
      if (!written) return null;
      if (entry) this.outbox.append(id, entry);
      return { ...written, outbox: this.outbox.read(id) };
    });
  }
}

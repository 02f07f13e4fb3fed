import { createHash } from 'node:crypto';
import type { AuditAction, AuditActor, AuditDetails, AuditVerification } from '@uplink/contracts';
import type { Clock } from '@uplink/kit';

/**
 * One entry of a tenant's audit log. `seq` numbers the tenant's entries from 1 without gaps;
 * `hash` chains the entry to the one before it (see auditHash), so an entry altered or deleted in
 * the database is found by verifyAuditChain. `at` is an ISO 8601 string, stored as such by both
 * adapters, so the canonical form reads back byte for byte.
 */
export type AuditEntry = {
  tenantId: string;
  seq: number;
  at: string;
  action: AuditAction;
  actor: AuditActor;
  linkId?: string;
  details: AuditDetails;
  prevHash: string;
  hash: string;
};

export type NewAuditEntry = {
  action: AuditAction;
  actor: AuditActor;
  linkId?: string;
  details?: AuditDetails;
  at: Date;
};

/** Where a tenant's chain resumes after retention pruned its oldest entries: the last pruned one. */
export type AuditCheckpoint = { seq: number; hash: string };

export type AuditFilter = {
  from?: Date;
  to?: Date;
  linkId?: string;
  /** auditActorKey of the actor. */
  actor?: string;
  action?: AuditAction;
  /** Only entries with a smaller seq (the previous page's last). */
  beforeSeq?: number;
  limit: number;
};

/**
 * The audit log: the store port for it, append-only per tenant. Adapters: SqliteAuditLog (one
 * transaction reads the head and inserts) and MongoAuditLog (a process's waiting appends chained
 * and inserted as one batch under a unique (tenantId, seq), chained again after the new head when
 * another replica took a seq). One conformance suite (test/conformance/audit-log.ts).
 */
export interface AuditLog {
  ensureIndexes(): Promise<void>;
  /** Appends after the tenant's last entry (its head) and returns the entry as stored. */
  append(tenantId: string, entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first, matching every filter given. */
  list(tenantId: string, filter: AuditFilter): Promise<AuditEntry[]>;
  /** The chain in order: entries with seq > afterSeq, oldest first, at most `limit`. */
  chain(tenantId: string, afterSeq: number, limit: number): Promise<AuditEntry[]>;
  checkpoint(tenantId: string): Promise<AuditCheckpoint | null>;
  /**
   * Retention: deletes every tenant's entries up to its newest one older than `before`, after
   * recording that entry as the tenant's checkpoint; returns how many were deleted.
   */
  prune(before: Date): Promise<number>;
}

/**
 * What the services call where an action happens: one `record` per action, after the action is
 * stored and before it is answered. A failed append fails the request, so no action is answered
 * without its entry; a process that dies between the action and its entry loses that entry (the
 * action stands). The entry's time is the recorder's clock.
 */
export class AuditRecorder {
  readonly #log: AuditLog;
  readonly #clock: Clock;

  constructor(log: AuditLog, clock: Clock) {
    this.#log = log;
    this.#clock = clock;
  }

  record(
    tenantId: string,
    action: AuditAction,
    actor: AuditActor,
    facts: { linkId?: string; details?: AuditDetails } = {},
  ): Promise<AuditEntry> {
    return this.#log.append(tenantId, this.entry(action, actor, facts));
  }

  /** The entry `record` appends, for a store that writes it with the action (LinkStore.create). */
  entry(
    action: AuditAction,
    actor: AuditActor,
    facts: { linkId?: string; details?: AuditDetails } = {},
  ): NewAuditEntry {
    return { action, actor, ...facts, at: this.#clock.now() };
  }
}

/** The previous hash of a tenant's first entry. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** How a filter names an actor: `agent:<id>`, `api_key:<keyPrefix>`, `customer`, `viewer_link:<shareId>`, `system:<name>`. */
export function auditActorKey(actor: AuditActor): string {
  switch (actor.kind) {
    case 'agent':
      return `agent:${actor.id}`;
    case 'api_key':
      return `api_key:${actor.keyPrefix}`;
    case 'customer':
      return 'customer';
    case 'viewer_link':
      return `viewer_link:${actor.shareId}`;
    case 'system':
      return `system:${actor.name}`;
  }
}

/**
 * The canonical form of an entry: JSON of every field but `prevHash` and `hash`, object keys
 * sorted (by UTF-16 code units, at every depth), no whitespace, absent optional fields left out.
 */
export function canonicalAuditEntry(entry: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  const { tenantId, seq, at, action, actor, linkId, details } = entry;
  return sortedJson({
    tenantId,
    seq,
    at,
    action,
    actor,
    ...(linkId !== undefined ? { linkId } : {}),
    details,
  });
}

/** hex SHA-256 of the previous entry's hash, a newline, and this entry's canonical form. */
export function auditHash(prevHash: string, entry: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  return createHash('sha256')
    .update(`${prevHash}\n${canonicalAuditEntry(entry)}`)
    .digest('hex');
}

/** The entry that follows `head` (null: the chain's start) — what both adapters insert. */
export function nextAuditEntry(
  tenantId: string,
  head: AuditCheckpoint | null,
  entry: NewAuditEntry,
): AuditEntry {
  const prevHash = head?.hash ?? AUDIT_GENESIS_HASH;
  const unhashed = {
    tenantId,
    seq: (head?.seq ?? 0) + 1,
    at: entry.at.toISOString(),
    action: entry.action,
    actor: entry.actor,
    ...(entry.linkId !== undefined ? { linkId: entry.linkId } : {}),
    details: entry.details ?? {},
  };
  return { ...unhashed, prevHash, hash: auditHash(prevHash, unhashed) };
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${fields.map(([key, field]) => `${JSON.stringify(key)}:${sortedJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const VERIFY_PAGE = 500;

/**
 * Checks a tenant's chain from its checkpoint (or its start): every seq present, each entry's
 * prevHash the hash before it, each hash recomputed from the entry. Names the first entry that
 * breaks it. Entries at or before the checkpoint (a prune that stopped halfway) are not checked.
 * A deletion of the newest entries leaves a shorter chain that still verifies: the chain proves
 * what it holds was neither altered nor thinned, not that nothing came after.
 */
export async function verifyAuditChain(log: AuditLog, tenantId: string): Promise<AuditVerification> {
  const checkpoint = await log.checkpoint(tenantId);
  const from = (checkpoint?.seq ?? 0) + 1;
  let expected: AuditCheckpoint = checkpoint ?? { seq: 0, hash: AUDIT_GENESIS_HASH };
  let checked = 0;
  for (;;) {
    const page = await log.chain(tenantId, expected.seq, VERIFY_PAGE);
    for (const entry of page) {
      const broken = brokenLink(expected, entry);
      if (broken) return { ok: false, checked, from, firstBroken: broken };
      checked++;
      expected = { seq: entry.seq, hash: entry.hash };
    }
    if (page.length < VERIFY_PAGE) return { ok: true, checked, from };
  }
}

function brokenLink(expected: AuditCheckpoint, entry: AuditEntry): { seq: number; reason: string } | null {
  const { prevHash, hash, ...unhashed } = entry;
  if (entry.seq !== expected.seq + 1) {
    const missing = expected.seq + 1;
    const through = entry.seq - 1;
    return {
      seq: missing,
      reason: `entry ${missing}${through > missing ? ` to ${through}` : ''} missing (deleted): entry ${entry.seq} follows ${expected.seq === 0 ? 'the start of the chain' : `entry ${expected.seq}`}`,
    };
  }
  if (auditHash(prevHash, unhashed) !== hash) {
    return { seq: entry.seq, reason: `entry ${entry.seq} was altered: its hash does not match its content` };
  }
  if (prevHash !== expected.hash) {
    return {
      seq: entry.seq,
      reason: `entry ${entry.seq} does not follow entry ${expected.seq}: its prevHash is not that entry's hash (one of them was altered or replaced)`,
    };
  }
  return null;
}

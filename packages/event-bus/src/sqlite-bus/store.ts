// The embedded bus's SQLite file: the two streams and the durable consumers' state, behind
// prepared statements so that each publish or delivery costs a few indexed statements.
import type { DatabaseSync } from 'node:sqlite';
import { openSqliteFile, type SyncFile, WalSync, writeTransaction } from '@uplink/kit';
import type { PublishResult } from '../bus.ts';
import { subjectMatches } from './subjects.ts';

/**
 * Each stream is a table whose AUTOINCREMENT key is the stream sequence: SQLite never hands out
 * a number again, even after the newest rows are deleted, so sequences survive pruning.
 *
 * A consumer keeps JetStream's shape of state: `delivered_seq` says how far it has handed out
 * new messages, and `pending` holds a row per message delivered but not yet settled. A message
 * at or below `delivered_seq` without a pending row is settled (acked, terminated, or given up
 * after `max_deliver`); ack and term delete the row, so the table stays as small as the work in
 * progress. `due_at` is the ack deadline while a delivery is out, the redelivery time after a
 * nak, and whichever comes first, the message is due for redelivery once it has passed.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  subject TEXT NOT NULL,
  data BLOB NOT NULL,
  headers TEXT NOT NULL,
  msg_id TEXT,
  published_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_msg_id ON messages (msg_id) WHERE msg_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  subject TEXT NOT NULL,
  data BLOB NOT NULL,
  headers TEXT NOT NULL,
  msg_id TEXT,
  published_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_msg_id ON dead_letters (msg_id) WHERE msg_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS consumers (
  durable TEXT PRIMARY KEY,
  filters TEXT NOT NULL,
  max_deliver INTEGER NOT NULL,
  ack_wait_ms INTEGER NOT NULL,
  delivered_seq INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (
  durable TEXT NOT NULL,
  seq INTEGER NOT NULL,
  deliveries INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  out INTEGER NOT NULL,
  PRIMARY KEY (durable, seq)
) WITHOUT ROWID;
`;

/**
 * A consumer's messages are found by subject: one index seek per subject its filters match
 * (see BusStore#subjectsOf), never a scan of the stream checking each row.
 */
const SUBJECT_INDEX = 'CREATE INDEX IF NOT EXISTS messages_by_subject ON messages (subject, seq);';

/**
 * What each schema version adds to the one before, in `PRAGMA user_version` order: version 1
 * the tables, version 2 the subject index. A change appends an entry, never edits one.
 */
const MIGRATIONS: readonly string[] = [SCHEMA, SUBJECT_INDEX];

/** Brings a file's schema up to date; refuses a file from a newer Uplink rather than misreading it. */
function prepareSchema(db: DatabaseSync, path: string): void {
  const version = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  if (version > MIGRATIONS.length) {
    throw new Error(
      `${path} has event-bus schema version ${version}, newer than this Uplink knows (${MIGRATIONS.length}); upgrade Uplink`,
    );
  }
  if (version === MIGRATIONS.length) return;
  writeTransaction(db, () => {
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
  });
}

export type StreamName = 'main' | 'deadLetter';

export type MessageRow = { seq: number; subject: string; data: Uint8Array; headers: string };

export type ConsumerConfig = {
  durable: string;
  filters: string[];
  maxDeliver: number;
  ackWaitMs: number;
};

type Consumer = ConsumerConfig & { deliveredSeq: number };

export type Claimed = { message: MessageRow; deliveryCount: number; deadline: number };

export type NewMessage = {
  subject: string;
  data: Uint8Array;
  headers: string;
  msgId: string;
  now: number;
  duplicateWindowMs: number;
};

const TABLES: Record<StreamName, string> = { main: 'messages', deadLetter: 'dead_letters' };

function streamStatements(db: DatabaseSync, table: string) {
  return {
    findDuplicate: db.prepare(
      `SELECT seq FROM ${table} WHERE msg_id = ? AND published_at >= ? ORDER BY seq DESC LIMIT 1`,
    ),
    insert: db.prepare(
      `INSERT INTO ${table} (subject, data, headers, msg_id, published_at) VALUES (?, ?, ?, ?, ?) RETURNING seq`,
    ),
    // Ages out from the front, as JetStream does: everything before the oldest unexpired message.
    prune: db.prepare(
      `DELETE FROM ${table} WHERE seq < coalesce(
         (SELECT seq FROM ${table} WHERE published_at >= ? ORDER BY seq LIMIT 1),
         (SELECT max(seq) + 1 FROM ${table}), 0)`,
    ),
  };
}

function statements(db: DatabaseSync) {
  return {
    firstSeq: db.prepare('SELECT min(seq) AS seq FROM messages'),
    lastSeq: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'messages'`),
    maxSeq: db.prepare('SELECT max(seq) AS seq FROM messages'),
    message: db.prepare('SELECT seq, subject, data, headers FROM messages WHERE seq = ?'),
    range: db.prepare(
      `SELECT seq, subject, data, headers FROM messages WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`,
    ),
    // Subject lists are JSON arrays of the literal subjects a filter matches (subjectsOf).
    rangeOf: db.prepare(
      `SELECT seq, subject, data, headers FROM messages
       WHERE seq >= ? AND seq <= ? AND subject IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?`,
    ),
    // One subject's messages after a sequence, in order (a seek in messages_by_subject).
    ofSubjectAfter: db.prepare(
      'SELECT seq, subject, data, headers FROM messages WHERE subject = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    // The first of each subject after the cursor (one seek in messages_by_subject each), then the lowest.
    nextNewSeq: db.prepare(
      `SELECT min((SELECT m.seq FROM messages m WHERE m.subject = s.value AND m.seq > ?1 ORDER BY m.seq LIMIT 1))
       AS seq FROM json_each(?2) s`,
    ),
    nextDue: db.prepare(
      `SELECT seq, deliveries FROM pending
       WHERE durable = ? AND due_at <= ? AND deliveries < ? ORDER BY seq LIMIT 1`,
    ),
    earliestDue: db.prepare('SELECT min(due_at) AS due FROM pending WHERE durable = ? AND deliveries < ?'),
    undelivered: db.prepare(
      'SELECT count(*) AS n FROM messages WHERE subject IN (SELECT value FROM json_each(?)) AND seq > ?',
    ),
    // Each distinct subject in one seek, from the one before (empty string: from the start).
    subjectAfter: db.prepare('SELECT min(subject) AS subject FROM messages WHERE subject > ?'),
    // Delivered again and not settled; one that used up max_deliver counts until its ack wait ends.
    redelivered: db.prepare(
      `SELECT count(*) AS n FROM pending
       WHERE durable = ? AND deliveries > 1 AND (deliveries < ? OR due_at > ?)`,
    ),
    consumer: db.prepare('SELECT * FROM consumers WHERE durable = ?'),
    upsertConsumer: db.prepare(
      `INSERT INTO consumers (durable, filters, max_deliver, ack_wait_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (durable) DO UPDATE SET
         filters = excluded.filters, max_deliver = excluded.max_deliver, ack_wait_ms = excluded.ack_wait_ms`,
    ),
    advance: db.prepare('UPDATE consumers SET delivered_seq = ? WHERE durable = ?'),
    firstDelivery: db.prepare(
      'INSERT INTO pending (durable, seq, deliveries, due_at, out) VALUES (?, ?, 1, ?, 1)',
    ),
    redelivery: db.prepare(
      'UPDATE pending SET deliveries = ?, due_at = ?, out = 1 WHERE durable = ? AND seq = ?',
    ),
    settle: db.prepare('DELETE FROM pending WHERE durable = ? AND seq = ?'),
    reschedule: db.prepare(
      'UPDATE pending SET due_at = ?, out = 0 WHERE durable = ? AND seq = ? AND deliveries = ?',
    ),
    unclaim: db.prepare(
      'UPDATE pending SET deliveries = deliveries - 1, due_at = ?, out = 0 WHERE durable = ? AND seq = ? AND deliveries = ?',
    ),
    release: db.prepare('UPDATE pending SET due_at = min(due_at, ?), out = 0 WHERE out = 1'),
    dropPrunedPending: db.prepare('DELETE FROM pending WHERE seq < ?'),
    dropExhausted: db.prepare(
      `DELETE FROM pending WHERE due_at <= ?
       AND deliveries >= (SELECT max_deliver FROM consumers c WHERE c.durable = pending.durable)`,
    ),
  };
}

export class BusStore {
  readonly #db: DatabaseSync;
  readonly #walSync: WalSync;
  readonly #streams: Record<StreamName, ReturnType<typeof streamStatements>>;
  readonly #sql: ReturnType<typeof statements>;
  /** Parsed consumer rows; this process is the file's only writer, so the cache stays true. */
  readonly #consumers = new Map<string, Consumer>();
  /** Every subject the main stream has held (a handful: one per kind of event). */
  readonly #subjects = new Set<string>();
  /** subjectsOf's answers by filter list, until a new subject appears. */
  readonly #subjectsOfFilters = new Map<string, string>();
  /** Acks and terms not yet written: the next claim's transaction, or the next turn, writes them. */
  #settles: { durable: string; seq: number }[] = [];

  /**
   * Opens the file for this process alone (see openSqliteFile's `exclusive`): the consumers'
   * state is cached here, so another process writing the file would be misread, and one opening
   * it while this one runs gets "database is locked" instead. `syncFile`: how the -wal file is
   * forced to the disk (WalSync's fdatasync unless given).
   */
  constructor(path: string, opts: { syncFile?: SyncFile } = {}) {
    this.#db = openSqliteFile(path, { busyTimeoutMs: 5_000, exclusive: true });
    this.#walSync = new WalSync(path, opts);
    prepareSchema(this.#db, path);
    this.#streams = {
      main: streamStatements(this.#db, TABLES.main),
      deadLetter: streamStatements(this.#db, TABLES.deadLetter),
    };
    this.#sql = statements(this.#db);
    for (let subject = this.#subjectAfter(''); subject !== undefined; subject = this.#subjectAfter(subject)) {
      this.#subjects.add(subject);
    }
  }

  append(stream: StreamName, message: NewMessage): PublishResult {
    const sql = this.#streams[stream];
    // JetStream ignores an empty Nats-Msg-Id: no dedup for it.
    const msgId = message.msgId || null;
    if (msgId !== null) {
      const original = sql.findDuplicate.get(msgId, message.now - message.duplicateWindowMs);
      if (original) return { seq: Number(original.seq), duplicate: true };
    }
    const row = sql.insert.get(message.subject, message.data, message.headers, msgId, message.now);
    if (stream === 'main' && !this.#subjects.has(message.subject)) {
      this.#subjects.add(message.subject);
      this.#subjectsOfFilters.clear();
    }
    return { seq: Number(row?.seq), duplicate: false };
  }

  /** Appends messages in order in one transaction: a batch of publishes costs one COMMIT. */
  appendAll(messages: { stream: StreamName; message: NewMessage }[]): PublishResult[] {
    return this.#transaction(() => messages.map(({ stream, message }) => this.append(stream, message)));
  }

  /** Drops a stream's messages published before `cutoff`; answers how many went. */
  prune(stream: StreamName, cutoff: number): number {
    const removed = Number(this.#streams[stream].prune.run(cutoff).changes);
    if (stream === 'main' && removed > 0) this.#sql.dropPrunedPending.run(this.streamInfo().firstSeq);
    return removed;
  }

  /** Forgets deliveries that used up `max_deliver` and whose last ack wait is over. */
  dropExhausted(now: number): void {
    this.#sql.dropExhausted.run(now);
  }

  streamInfo(): { firstSeq: number; lastSeq: number } {
    const lastSeq = Number(this.#sql.lastSeq.get()?.seq ?? 0);
    const first = this.#sql.firstSeq.get()?.seq;
    // JetStream's answer once every message has aged out: first is the next sequence to come.
    if (first === null || first === undefined) return { firstSeq: lastSeq === 0 ? 0 : lastSeq + 1, lastSeq };
    return { firstSeq: Number(first), lastSeq };
  }

  /** Main-stream messages from `fromSeq` to `toSeq`, optionally under `filter`, at most `limit`. */
  range(fromSeq: number, toSeq: number, filter: string | null, limit: number): MessageRow[] {
    if (filter === null) return this.#sql.range.all(fromSeq, toSeq, limit) as MessageRow[];
    return this.#sql.rangeOf.all(fromSeq, toSeq, this.#subjectsOf([filter]), limit) as MessageRow[];
  }

  consumer(durable: string): ConsumerConfig | undefined {
    return this.#consumer(durable);
  }

  /** Creates the consumer at the start of the stream, or changes its settings and keeps its progress. */
  upsertConsumer(config: ConsumerConfig): void {
    const { durable, filters, maxDeliver, ackWaitMs } = config;
    this.#sql.upsertConsumer.run(durable, JSON.stringify(filters), maxDeliver, ackWaitMs);
    this.#consumers.delete(durable);
  }

  /**
   * Hands out up to `max` of the consumer's next messages, each the lowest sequence among
   * messages due for redelivery and new messages on its filters. One transaction records them
   * all, so that a batch costs one COMMIT and a crash never leaves a delivery half-recorded.
   */
  claim(durable: string, now: number, max: number): Claimed[] {
    const consumer = this.#consumer(durable);
    if (!consumer || max < 1) return [];
    // Nothing due and nothing new on its filters: answer from reads, without a transaction
    // (this process is the file's only writer, so nothing can change between these reads and
    // the claim's own). A consumer of other subjects than those published meanwhile (note-relay
    // while links are created) so writes nothing, not even its cursor.
    if (
      !this.#sql.nextDue.get(durable, now, consumer.maxDeliver) &&
      this.#nextNewSeq(consumer) === undefined
    ) {
      return [];
    }
    return this.#transaction(() => {
      this.#writeSettles();
      // Nothing due for redelivery (the usual case): the new messages, read together.
      if (!this.#sql.nextDue.get(durable, now, consumer.maxDeliver))
        return this.#claimNew(consumer, now, max);
      const claimed: Claimed[] = [];
      for (let next = this.#claimNext(consumer, now); next; next = this.#claimNext(consumer, now)) {
        claimed.push(next);
        if (claimed.length >= max) break;
      }
      return claimed;
    });
  }

  /**
   * Hands a claimed delivery back as if it had not been made (a source stopped before handing
   * it out): due at `now`, its delivery not counted, unless it was redelivered since.
   */
  unclaim(durable: string, seq: number, deliveryCount: number, now: number): void {
    this.#sql.unclaim.run(now, durable, seq, deliveryCount);
  }

  /** The consumer's backlog, counted as JetStream reports `num_pending` and `num_redelivered`. */
  consumerState(durable: string, now: number): { pending: number; redelivered: number } | undefined {
    const consumer = this.#consumer(durable);
    if (!consumer) return undefined;
    this.#flushSettles();
    const pending = this.#sql.undelivered.get(this.#subjectsOf(consumer.filters), consumer.deliveredSeq)?.n;
    const redelivered = this.#sql.redelivered.get(durable, consumer.maxDeliver, now)?.n;
    return { pending: Number(pending ?? 0), redelivered: Number(redelivered ?? 0) };
  }

  /** When the consumer's next redelivery falls due, if any is waiting. */
  nextDueAt(durable: string): number | undefined {
    const consumer = this.#consumer(durable);
    if (!consumer) return undefined;
    const due = this.#sql.earliestDue.get(durable, consumer.maxDeliver)?.due;
    return due === null || due === undefined ? undefined : Number(due);
  }

  /**
   * Settles in batches: the row goes with the next claim's transaction, or with the others of
   * this turn in one of their own, rather than in a commit each. Nothing reads it meanwhile that
   * could hand the message out again (a claim writes them first). Like any settlement, one
   * lost to a crash before it is written means a redelivery.
   */
  settle(durable: string, seq: number): void {
    if (this.#settles.length === 0) {
      setImmediate(() => {
        try {
          this.#flushSettles();
        } catch {
          // Still queued (the transaction rolled back): the next claim writes them.
        }
      });
    }
    this.#settles.push({ durable, seq });
  }

  /** Schedules delivery `deliveryCount` again at `dueAt`, unless a later delivery took its place. */
  reschedule(durable: string, seq: number, deliveryCount: number, dueAt: number): void {
    const consumer = this.#consumer(durable);
    if (consumer && deliveryCount >= consumer.maxDeliver) this.#sql.settle.run(durable, seq);
    else this.#sql.reschedule.run(dueAt, durable, seq, deliveryCount);
  }

  /**
   * Makes every delivery still out due at `now`. Whoever held them is gone (the bus closed, or
   * the process died before this open), so waiting out their ack wait would only delay work.
   */
  releaseOutstanding(now: number): number {
    this.#flushSettles();
    return Number(this.#sql.release.run(now).changes ?? 0);
  }

  /**
   * Resolves once everything written so far is on the disk (group commit: concurrent callers
   * share one sync, off the event loop). A publish answers only after it; settlements and
   * deliveries need not wait, since losing one only means a redelivery.
   */
  durable(): Promise<void> {
    return this.#walSync.durable();
  }

  /** Throws when a failed sync left the file unable to promise anything. */
  assertUsable(): void {
    this.#walSync.assertUsable();
  }

  async close(): Promise<void> {
    this.#flushSettles();
    await this.#walSync.close();
    if (this.#db.isOpen) this.#db.close();
  }

  #consumer(durable: string): Consumer | undefined {
    const cached = this.#consumers.get(durable);
    if (cached) return cached;
    const row = this.#sql.consumer.get(durable);
    if (!row) return undefined;
    const consumer: Consumer = {
      durable,
      filters: JSON.parse(String(row.filters)),
      maxDeliver: Number(row.max_deliver),
      ackWaitMs: Number(row.ack_wait_ms),
      deliveredSeq: Number(row.delivered_seq),
    };
    this.#consumers.set(durable, consumer);
    return consumer;
  }

  #advance(consumer: Consumer, seq: number): void {
    this.#sql.advance.run(seq, consumer.durable);
    consumer.deliveredSeq = seq;
  }

  /** Inside a claim's transaction: records the first deliveries of up to `max` new messages. */
  #claimNew(consumer: Consumer, now: number, max: number): Claimed[] {
    const messages = this.#newMessages(consumer, max);
    const deadline = now + consumer.ackWaitMs;
    for (const { seq } of messages) this.#sql.firstDelivery.run(consumer.durable, seq, deadline);
    const last = messages.at(-1);
    if (last) this.#advance(consumer, last.seq);
    return messages.map((message) => ({ message, deliveryCount: 1, deadline }));
  }

  /**
   * The consumer's first `max` messages after its cursor on its filters, in order: the first
   * `max` of each subject they match (one seek each), merged.
   */
  #newMessages(consumer: Consumer, max: number): MessageRow[] {
    const subjects = JSON.parse(this.#subjectsOf(consumer.filters)) as string[];
    const rows = subjects.flatMap(
      (subject) => this.#sql.ofSubjectAfter.all(subject, consumer.deliveredSeq, max) as MessageRow[],
    );
    return rows.sort((a, b) => a.seq - b.seq).slice(0, max);
  }

  /** Inside a claim's transaction: records the consumer's next delivery, if it has one. */
  #claimNext(consumer: Consumer, now: number): Claimed | undefined {
    const { durable } = consumer;
    for (;;) {
      const due = this.#sql.nextDue.get(durable, now, consumer.maxDeliver);
      const freshSeq = this.#nextNewSeq(consumer);
      if (due && (freshSeq === undefined || Number(due.seq) < freshSeq)) {
        const seq = Number(due.seq);
        const message = this.#sql.message.get(seq) as MessageRow | undefined;
        if (!message) {
          // Aged out of the stream while waiting: nothing left to deliver.
          this.#sql.settle.run(durable, seq);
          continue;
        }
        const deliveryCount = Number(due.deliveries) + 1;
        const deadline = now + consumer.ackWaitMs;
        this.#sql.redelivery.run(deliveryCount, deadline, durable, seq);
        return { message, deliveryCount, deadline };
      }
      if (freshSeq === undefined) return undefined;
      const message = this.#sql.message.get(freshSeq) as MessageRow;
      const deadline = now + consumer.ackWaitMs;
      this.#sql.firstDelivery.run(durable, freshSeq, deadline);
      this.#advance(consumer, freshSeq);
      return { message, deliveryCount: 1, deadline };
    }
  }

  /**
   * The consumer's first message after its cursor on its filters: one seek per subject in
   * messages_by_subject, however many messages of other subjects lie between.
   */
  #nextNewSeq(consumer: Consumer): number | undefined {
    if (Number(this.#sql.maxSeq.get()?.seq ?? 0) <= consumer.deliveredSeq) return undefined;
    const seq = this.#sql.nextNewSeq.get(consumer.deliveredSeq, this.#subjectsOf(consumer.filters))?.seq;
    return seq === null || seq === undefined ? undefined : Number(seq);
  }

  /**
   * The subjects under any of `filters`, as the JSON array the statements take. NATS's matching
   * (subjectMatches) runs once per subject the stream has held, never per message; the engine
   * then finds each subject's messages in messages_by_subject.
   */
  #subjectsOf(filters: string[]): string {
    const key = JSON.stringify(filters);
    let subjects = this.#subjectsOfFilters.get(key);
    if (subjects === undefined) {
      // read() may pass any filter; keep the cache from growing without bound.
      if (this.#subjectsOfFilters.size >= 1_000) this.#subjectsOfFilters.clear();
      subjects = JSON.stringify(
        [...this.#subjects].filter((subject) => filters.some((filter) => subjectMatches(filter, subject))),
      );
      this.#subjectsOfFilters.set(key, subjects);
    }
    return subjects;
  }

  #subjectAfter(subject: string): string | undefined {
    const next = this.#sql.subjectAfter.get(subject)?.subject;
    return next === null || next === undefined ? undefined : String(next);
  }

  #flushSettles(): void {
    if (this.#settles.length === 0 || !this.#db.isOpen) return;
    this.#transaction(() => this.#writeSettles());
  }

  /**
   * Inside a transaction: writes the settlements waiting. They leave the queue once written; a
   * transaction rolled back after that loses them, which means a redelivery, as after a crash.
   */
  #writeSettles(): void {
    for (const { durable, seq } of this.#settles) this.#sql.settle.run(durable, seq);
    this.#settles = [];
  }

  #transaction<T>(work: () => T): T {
    try {
      return writeTransaction(this.#db, work);
    } catch (err) {
      // A rolled-back claim may have moved the cached cursor; read it again.
      this.#consumers.clear();
      throw err;
    }
  }
}

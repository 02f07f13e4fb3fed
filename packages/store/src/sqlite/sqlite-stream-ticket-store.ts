import {
  type NewStreamTicket,
  newStreamTicket,
  type StreamTicketDocument,
  type StreamTicketStore,
  usableAt,
} from '../stream-ticket-store.ts';
import type { SqliteDatabase } from './database.ts';
import { DocumentTable } from './document-table.ts';

/** StreamTicketStore on SQLite: `stream_tickets`, keyed by the token's hash. */
export class SqliteStreamTicketStore implements StreamTicketStore {
  readonly #db: SqliteDatabase;
  readonly #tickets: DocumentTable<StreamTicketDocument>;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#tickets = new DocumentTable(db, 'stream_tickets', {
      expires_at: (ticket) => ticket.expiresAt.getTime(),
    });
  }

  /** The schema is created when the database is opened. */
  async ensureIndexes(): Promise<void> {}

  async create(input: NewStreamTicket): Promise<{ token: string; expiresAt: Date }> {
    const { token, document } = newStreamTicket(input);
    await this.#db.write(() => this.#tickets.insert(document));
    return { token, expiresAt: document.expiresAt };
  }

  /** Read and delete in one write transaction: of racing requests with one token, one gets it. */
  async consume(tokenHash: string, now: Date): Promise<StreamTicketDocument | null> {
    const taken = await this.#db.write(() => {
      const ticket = this.#tickets.get(tokenHash);
      if (ticket) this.#tickets.delete('id = ?', [tokenHash]);
      return ticket;
    });
    return usableAt(taken, now);
  }

  async purgeExpired(before: Date): Promise<number> {
    return this.#db.write(() => this.#tickets.delete('expires_at < ?', [before.getTime()]));
  }
}

import type { Collection, Db } from 'mongodb';
import {
  type NewStreamTicket,
  newStreamTicket,
  type StreamTicketDocument,
  type StreamTicketStore,
  usableAt,
} from '../stream-ticket-store.ts';

/** StreamTicketStore on MongoDB: `stream_tickets`, keyed by the token's hash. */
export class MongoStreamTicketStore implements StreamTicketStore {
  readonly collection: Collection<StreamTicketDocument>;

  constructor(db: Db) {
    this.collection = db.collection<StreamTicketDocument>('stream_tickets');
  }

  async ensureIndexes(): Promise<void> {
    // Purged by link-service's sweep rather than a TTL index: MongoDB-compatible servers differ on TTL.
    await this.collection.createIndex({ expiresAt: 1 }, { name: 'expires_at' });
  }

  async create(input: NewStreamTicket): Promise<{ token: string; expiresAt: Date }> {
    const { token, document } = newStreamTicket(input);
    await this.collection.insertOne(document);
    return { token, expiresAt: document.expiresAt };
  }

  /**
   * One findOneAndDelete: MongoDB removes a document and returns it atomically, so of racing
   * requests with one token exactly one gets it. An expired ticket is removed as well.
   */
  async consume(tokenHash: string, now: Date): Promise<StreamTicketDocument | null> {
    return usableAt(await this.collection.findOneAndDelete({ _id: tokenHash }), now);
  }

  async purgeExpired(before: Date): Promise<number> {
    const result = await this.collection.deleteMany({ expiresAt: { $lt: before } });
    return result.deletedCount;
  }
}

import type { OutboxDocument, OutboxEntry, OutboxStore } from '@uplink/event-bus';
import type { Collection } from 'mongodb';

export async function ensureOutboxIndexes<T extends OutboxDocument>(
  collection: Collection<T>,
): Promise<void> {
  await collection.createIndex({ 'outbox.createdAt': 1 }, { name: 'outbox_pending' });
}

const unleased = (now: Date) => ({
  $or: [{ outboxLeaseUntil: { $exists: false } }, { outboxLeaseUntil: { $lte: now } }],
});

/** The outbox as an array inside each MongoDB document, changed by the same update as the state. */
export class MongoOutboxStore implements OutboxStore {
  readonly name: string;
  readonly #collection: Collection<OutboxDocument>;

  /** Only the outbox fields are touched, whatever else the documents hold. */
  static of<T extends OutboxDocument>(collection: Collection<T>): MongoOutboxStore {
    return new MongoOutboxStore(collection as unknown as Collection<OutboxDocument>);
  }

  private constructor(collection: Collection<OutboxDocument>) {
    this.#collection = collection;
    this.name = collection.collectionName;
  }

  async entries(docId: string): Promise<OutboxEntry[]> {
    const doc = await this.#collection.findOne({ _id: docId }, { projection: { outbox: 1 } });
    return doc?.outbox ?? [];
  }

  async remove(published: { docId: string; entry: OutboxEntry }[]): Promise<void> {
    if (published.length === 0) return;
    await this.#collection.bulkWrite(
      published.map(({ docId, entry }) => ({
        // Pull the entry exactly as read: on MongoDB that is the same as pulling by eventId,
        // and it also works on servers whose $pull only matches whole values (FerretDB v1).
        updateOne: { filter: { _id: docId }, update: { $pull: { outbox: entry } } },
      })),
      { ordered: false },
    );
  }

  async staleDocuments(stale: Date, now: Date, limit: number): Promise<string[]> {
    const docs = await this.#collection
      .find({ 'outbox.createdAt': { $lte: stale }, ...unleased(now) }, { projection: { _id: 1 } })
      .limit(limit)
      .toArray();
    return docs.map((d) => d._id);
  }

  async claim(docId: string, now: Date, until: Date): Promise<boolean> {
    const claim = await this.#collection.updateOne(
      { _id: docId, ...unleased(now) },
      { $set: { outboxLeaseUntil: until } },
    );
    return claim.modifiedCount === 1;
  }

  async release(docId: string, until: Date): Promise<void> {
    await this.#collection.updateOne(
      { _id: docId, outboxLeaseUntil: until },
      { $unset: { outboxLeaseUntil: '' } },
    );
  }
}

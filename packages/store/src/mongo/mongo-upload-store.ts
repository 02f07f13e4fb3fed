import type { UploadDocument, UploadState } from '@uplink/links';
import type { Collection, Db } from 'mongodb';
import type { UploadStore } from '../upload-store.ts';

/** UploadStore on MongoDB: the `uploads` collection. */
export class MongoUploadStore implements UploadStore {
  readonly collection: Collection<UploadDocument>;

  constructor(db: Db) {
    this.collection = db.collection<UploadDocument>('uploads');
  }

  async ensureIndexes(): Promise<void> {
    // Purged by the sweeper rather than a TTL index: MongoDB-compatible servers differ on TTL.
    await this.collection.createIndex({ createdAt: 1 }, { name: 'created_at' });
    await this.collection.createIndex({ state: 1, sasExpiresAt: 1 }, { name: 'state_sas_expiry' });
  }

  async insert(upload: UploadDocument): Promise<void> {
    await this.collection.insertOne(upload);
  }

  get(uploadId: string): Promise<UploadDocument | null> {
    return this.collection.findOne({ _id: uploadId });
  }

  async settle(
    uploadId: string,
    state: Exclude<UploadState, 'issued'>,
    now: Date,
    rejection?: string,
  ): Promise<void> {
    await this.collection.updateOne(
      { _id: uploadId, state: 'issued' },
      { $set: { state, updatedAt: now, ...(rejection !== undefined ? { rejection } : {}) } },
    );
  }

  async renewSas(uploadId: string, sasExpiresAt: Date, now: Date): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: uploadId, state: 'issued' },
      { $set: { sasExpiresAt, updatedAt: now } },
    );
    return result.matchedCount === 1;
  }

  /** Deletes settled records created before `before`; the link document keeps what matters. */
  async purgeSettled(before: Date): Promise<number> {
    const result = await this.collection.deleteMany({ createdAt: { $lt: before }, state: { $ne: 'issued' } });
    return result.deletedCount;
  }

  /** Intents whose SAS ran out before they were completed: their blobs (if any) are orphans. */
  findAbandoned(before: Date, limit: number): Promise<UploadDocument[]> {
    return this.collection
      .find({ state: 'issued', sasExpiresAt: { $lt: before } })
      .sort({ sasExpiresAt: 1 })
      .limit(limit)
      .toArray();
  }
}

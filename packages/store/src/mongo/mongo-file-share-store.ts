import {
  type FileShareDocument,
  type FileShareLookup,
  type NewFileShare,
  newFileShare,
  shareLookup,
} from '@uplink/links';
import type { Collection, Db } from 'mongodb';
import type { FileShareStore } from '../file-share-store.ts';

/** FileShareStore on MongoDB: `file_shares`, keyed by the token's hash. */
export class MongoFileShareStore implements FileShareStore {
  readonly collection: Collection<FileShareDocument>;

  constructor(db: Db) {
    this.collection = db.collection<FileShareDocument>('file_shares');
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ tenantId: 1, linkId: 1 }, { name: 'link_shares' });
  }

  async create(input: NewFileShare): Promise<{ token: string; expiresAt: Date }> {
    const { token, share } = newFileShare(input);
    await this.collection.insertOne(share);
    return { token, expiresAt: share.expiresAt };
  }

  async findByTokenHash(tokenHash: string, now: Date): Promise<FileShareLookup> {
    return shareLookup(await this.collection.findOne({ _id: tokenHash }), now);
  }

  async revokeForLink(tenantId: string, linkId: string, now: Date): Promise<number> {
    const result = await this.collection.updateMany(
      { tenantId, linkId, revokedAt: { $exists: false }, expiresAt: { $gt: now } },
      { $set: { revokedAt: now } },
    );
    return result.modifiedCount;
  }

  async purgeExpired(before: Date): Promise<number> {
    const result = await this.collection.deleteMany({ expiresAt: { $lt: before } });
    return result.deletedCount;
  }
}

import {
  type FileGrantDocument,
  type FileShareDocument,
  type FileShareLookup,
  grantUsableAt,
  type NewFileGrant,
  type NewFileShare,
  newFileGrant,
  newFileShare,
  shareLookup,
} from '@uplink/links';
import type { Collection, Db } from 'mongodb';
import type { FileShareStore } from '../file-share-store.ts';

/** FileShareStore on MongoDB: `file_shares` and `file_grants`, each keyed by its token's hash. */
export class MongoFileShareStore implements FileShareStore {
  readonly collection: Collection<FileShareDocument>;
  readonly grants: Collection<FileGrantDocument>;

  constructor(db: Db) {
    this.collection = db.collection<FileShareDocument>('file_shares');
    this.grants = db.collection<FileGrantDocument>('file_grants');
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ tenantId: 1, linkId: 1 }, { name: 'link_shares' });
    // Purged with the shares rather than by a TTL index: MongoDB-compatible servers differ on TTL.
    await this.grants.createIndex({ expiresAt: 1 }, { name: 'expires_at' });
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

  async createGrant(input: NewFileGrant): Promise<{ token: string; expiresAt: Date }> {
    const { token, grant } = newFileGrant(input);
    await this.grants.insertOne(grant);
    return { token, expiresAt: grant.expiresAt };
  }

  /**
   * One findOneAndDelete: MongoDB removes a document and returns it atomically, so of racing
   * requests with one grant exactly one gets it. An expired grant is removed as well.
   */
  async consumeGrant(tokenHash: string, now: Date): Promise<FileGrantDocument | null> {
    return grantUsableAt(await this.grants.findOneAndDelete({ _id: tokenHash }), now);
  }

  async purgeExpired(before: Date): Promise<number> {
    const shares = await this.collection.deleteMany({ expiresAt: { $lt: before } });
    const grants = await this.grants.deleteMany({ expiresAt: { $lt: before } });
    return shares.deletedCount + grants.deletedCount;
  }
}

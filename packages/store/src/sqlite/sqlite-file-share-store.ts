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
import type { FileShareStore } from '../file-share-store.ts';
import type { SqliteDatabase } from './database.ts';
import { DocumentTable, millis } from './document-table.ts';

/** FileShareStore on SQLite: `file_shares` and `file_grants`, each keyed by its token's hash. */
export class SqliteFileShareStore implements FileShareStore {
  readonly #db: SqliteDatabase;
  readonly #shares: DocumentTable<FileShareDocument>;
  readonly #grants: DocumentTable<FileGrantDocument>;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#shares = new DocumentTable(db, 'file_shares', {
      tenant_id: (share) => share.tenantId,
      link_id: (share) => share.linkId,
      expires_at: (share) => share.expiresAt.getTime(),
      revoked_at: (share) => millis(share.revokedAt),
    });
    this.#grants = new DocumentTable(db, 'file_grants', {
      expires_at: (grant) => grant.expiresAt.getTime(),
    });
  }

  /** The schema is created when the database is opened. */
  async ensureIndexes(): Promise<void> {}

  async create(input: NewFileShare): Promise<{ token: string; expiresAt: Date }> {
    const { token, share } = newFileShare(input);
    await this.#db.write(() => this.#shares.insert(share));
    return { token, expiresAt: share.expiresAt };
  }

  async findByTokenHash(tokenHash: string, now: Date): Promise<FileShareLookup> {
    return shareLookup(this.#shares.get(tokenHash), now);
  }

  async revokeForLink(tenantId: string, linkId: string, now: Date): Promise<number> {
    return this.#db.write(() => {
      const working = this.#shares.find(
        'tenant_id = ? AND link_id = ? AND revoked_at IS NULL AND expires_at > ?',
        [tenantId, linkId, now.getTime()],
      );
      for (const share of working) this.#shares.replace({ ...share, revokedAt: now });
      return working.length;
    });
  }

  async createGrant(input: NewFileGrant): Promise<{ token: string; expiresAt: Date }> {
    const { token, grant } = newFileGrant(input);
    await this.#db.write(() => this.#grants.insert(grant));
    return { token, expiresAt: grant.expiresAt };
  }

  /** Read and delete in one write transaction: of racing requests with one grant, one gets it. */
  async consumeGrant(tokenHash: string, now: Date): Promise<FileGrantDocument | null> {
    const taken = await this.#db.write(() => {
      const grant = this.#grants.get(tokenHash);
      if (grant) this.#grants.delete('id = ?', [tokenHash]);
      return grant;
    });
    return grantUsableAt(taken, now);
  }

  async purgeExpired(before: Date): Promise<number> {
    return this.#db.write(
      () =>
        this.#shares.delete('expires_at < ?', [before.getTime()]) +
        this.#grants.delete('expires_at < ?', [before.getTime()]),
    );
  }
}

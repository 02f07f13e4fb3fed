import type { UploadDocument, UploadState } from '@uplink/links';
import type { UploadStore } from '../upload-store.ts';
import type { SqliteDatabase } from './database.ts';
import { DocumentTable } from './document-table.ts';

/** UploadStore on SQLite: the `uploads` table. */
export class SqliteUploadStore implements UploadStore {
  readonly #db: SqliteDatabase;
  readonly #uploads: DocumentTable<UploadDocument>;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#uploads = new DocumentTable(db, 'uploads', {
      state: (upload) => upload.state,
      created_at: (upload) => upload.createdAt.getTime(),
      sas_expires_at: (upload) => upload.sasExpiresAt.getTime(),
    });
  }

  /** The schema is created when the database is opened. */
  async ensureIndexes(): Promise<void> {}

  async insert(upload: UploadDocument): Promise<void> {
    await this.#db.write(() => this.#uploads.insert(upload));
  }

  async get(uploadId: string): Promise<UploadDocument | null> {
    return this.#uploads.get(uploadId);
  }

  async settle(
    uploadId: string,
    state: Exclude<UploadState, 'issued'>,
    now: Date,
    rejection?: string,
  ): Promise<void> {
    await this.#db.write(() =>
      this.#uploads.update(uploadId, (current) =>
        current.state === 'issued'
          ? { ...current, state, updatedAt: now, ...(rejection !== undefined ? { rejection } : {}) }
          : null,
      ),
    );
  }

  async renewSas(uploadId: string, sasExpiresAt: Date, now: Date): Promise<boolean> {
    const renewed = await this.#db.write(() =>
      this.#uploads.update(uploadId, (current) =>
        current.state === 'issued' ? { ...current, sasExpiresAt, updatedAt: now } : null,
      ),
    );
    return renewed !== null;
  }

  async purgeSettled(before: Date): Promise<number> {
    return this.#db.write(() =>
      this.#uploads.delete(`created_at < ? AND state <> 'issued'`, [before.getTime()]),
    );
  }

  async findAbandoned(before: Date, limit: number): Promise<UploadDocument[]> {
    return this.#uploads.find(
      `state = 'issued' AND sas_expires_at < ?`,
      [before.getTime(), limit],
      'ORDER BY sas_expires_at, id LIMIT ?',
    );
  }
}

import type { UploadDocument, UploadState } from '@uplink/links';

/** Upload intents: the store port for them. */
export interface UploadStore {
  ensureIndexes(): Promise<void>;
  insert(upload: UploadDocument): Promise<void>;
  get(uploadId: string): Promise<UploadDocument | null>;
  /** issued -> its outcome; an intent already settled keeps its first outcome. */
  settle(
    uploadId: string,
    state: Exclude<UploadState, 'issued'>,
    now: Date,
    rejection?: string,
  ): Promise<void>;
  /**
   * A new SAS for an intent still issued (a reopened page continues it): its expiry is recorded,
   * so the abandoned-uploads sweep waits for it. False when the intent was settled meanwhile.
   */
  renewSas(uploadId: string, sasExpiresAt: Date, now: Date): Promise<boolean>;
  /** Deletes settled records created before `before`; the link document keeps what matters. */
  purgeSettled(before: Date): Promise<number>;
  /** Intents still issued whose SAS ran out before `before`, soonest first: their blobs (if any) are orphans. */
  findAbandoned(before: Date, limit: number): Promise<UploadDocument[]>;
}

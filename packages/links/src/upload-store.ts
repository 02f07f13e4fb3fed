import type { MediaCategory, UploadKind } from '@uplink/contracts';

export type UploadState = 'issued' | 'completed' | 'rejected' | 'abandoned';

/**
 * One upload intent: the blob the gateway allowed the browser to create, and what the customer
 * declared about it. Completion compares the blob with this record.
 */
export type UploadDocument = {
  _id: string;
  tenantId: string;
  linkId: string;
  blobName: string;
  kind: UploadKind;
  category: MediaCategory;
  /** Cleaned; see file-name.ts. */
  fileName: string;
  contentType: string;
  size: number;
  state: UploadState;
  rejection?: string;
  createdAt: Date;
  sasExpiresAt: Date;
  updatedAt: Date;
};

/** Upload intents: the session-store port for them. */
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
  /** Deletes settled records created before `before`; the link document keeps what matters. */
  purgeSettled(before: Date): Promise<number>;
  /** Intents still issued whose SAS ran out before `before`, soonest first: their blobs (if any) are orphans. */
  findAbandoned(before: Date, limit: number): Promise<UploadDocument[]>;
}

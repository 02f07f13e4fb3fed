import type { MediaCategory, UPLOAD_STATES, UploadKind } from '@uplink/contracts';

export type UploadState = (typeof UPLOAD_STATES)[number];

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

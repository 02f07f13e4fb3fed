import type { MediaCategory, UploadedFile } from '@uplink/contracts';
import { hashSecret, newSecret } from '@uplink/kit';

/**
 * A viewer link to a delivered file: a capability. Whoever holds its token may open the file's
 * viewer page until `expiresAt`, unless it was revoked. Only the token's hash is stored (as
 * `_id`), so a leaked database opens no file.
 */
export type FileShareDocument = {
  /** SHA-256 of the token. */
  _id: string;
  tenantId: string;
  linkId: string;
  uploadId: string;
  blobName: string;
  /** The ETag verified at completion, for readers that can make their read conditional. */
  etag: string;
  fileName: string;
  contentType: string;
  category: MediaCategory;
  size: number;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
};

/**
 * How a viewer link is named where its token must not be (the audit log): the start of the token's
 * hash, enough to tell a link's viewer links apart, too little to find the stored share by.
 */
export function shareIdOf(tokenHash: string): string {
  return tokenHash.slice(0, 16);
}

export type NewFileShare = {
  tenantId: string;
  linkId: string;
  file: UploadedFile;
  ttlMs: number;
  now: Date;
};

export type FileShareLookup =
  | { outcome: 'found'; share: FileShareDocument }
  | { outcome: 'not_found' | 'expired' | 'revoked' };

/** A new share's stored form and its token (only the token's hash is stored). */
export function newFileShare(input: NewFileShare): { token: string; share: FileShareDocument } {
  const token = newSecret();
  const { file, now } = input;
  return {
    token,
    share: {
      _id: hashSecret(token),
      tenantId: input.tenantId,
      linkId: input.linkId,
      uploadId: file.uploadId,
      blobName: file.blobName,
      etag: file.etag,
      fileName: file.fileName,
      contentType: file.contentType,
      category: file.category,
      size: file.size,
      createdAt: now,
      expiresAt: new Date(now.getTime() + input.ttlMs),
    },
  };
}

/** What a found share means at `now`. */
export function shareLookup(share: FileShareDocument | null, now: Date): FileShareLookup {
  if (!share) return { outcome: 'not_found' };
  if (share.revokedAt) return { outcome: 'revoked' };
  if (share.expiresAt.getTime() <= now.getTime()) return { outcome: 'expired' };
  return { outcome: 'found', share };
}

/** File grants are recognisable in logs and support requests by this prefix. */
export const FILE_GRANT_PREFIX = 'ufg_';

/**
 * A file grant: where a tenant's files need sign-in, what link-service hands a signed-in agent's
 * browser to carry back to the viewer (`/f/<token>?grant=`), which is on another host and cannot
 * see the console's session. It opens one share once, within a minute: whatever lands in a log
 * or the browser's history is worthless by then. Stored by the token's SHA-256 (`_id`);
 * consuming it deletes it.
 */
export type FileGrantDocument = {
  _id: string;
  tenantId: string;
  /** The share it opens (the share's `_id`), and no other. */
  shareId: string;
  /** The agent session that asked for it. */
  sessionId: string;
  createdAt: Date;
  expiresAt: Date;
};

export type NewFileGrant = {
  tenantId: string;
  shareId: string;
  sessionId: string;
  ttlMs: number;
  now: Date;
};

/** A new grant: the token (returned once) and the document stored by its hash. */
export function newFileGrant(input: NewFileGrant): { token: string; grant: FileGrantDocument } {
  const token = `${FILE_GRANT_PREFIX}${newSecret()}`;
  return {
    token,
    grant: {
      _id: hashSecret(token),
      tenantId: input.tenantId,
      shareId: input.shareId,
      sessionId: input.sessionId,
      createdAt: input.now,
      expiresAt: new Date(input.now.getTime() + input.ttlMs),
    },
  };
}

/** What a grant taken from the store opens at `now`: itself while unexpired, nothing after. */
export function grantUsableAt(grant: FileGrantDocument | null, now: Date): FileGrantDocument | null {
  return grant && grant.expiresAt > now ? grant : null;
}

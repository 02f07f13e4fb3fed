import type { FileShareLookup, NewFileShare } from '@uplink/links';

/**
 * Viewer links that note-relay puts in notes and Flex entries instead of raw storage URLs: the
 * store port for them. Unlike a SAS, a share can be revoked, and the page behind it makes
 * a short-lived SAS on each view, so revocation stops new views at once.
 */
export interface FileShareStore {
  ensureIndexes(): Promise<void>;
  /** A new share of `file`, valid `ttlMs` from `now`; the token is returned once. */
  create(input: NewFileShare): Promise<{ token: string; expiresAt: Date }>;
  /**
   * The share a token opens, found by the token's hash (kit's hashSecret), or why it opens
   * nothing (revoked wins over expired).
   */
  findByTokenHash(tokenHash: string, now: Date): Promise<FileShareLookup>;
  /**
   * Revokes every share of a link that still works. Returns how many stopped working; shares
   * already revoked or expired are left as they are, so a repeated call answers 0.
   */
  revokeForLink(tenantId: string, linkId: string, now: Date): Promise<number>;
  /** Deletes shares that expired before `before`. */
  purgeExpired(before: Date): Promise<number>;
}

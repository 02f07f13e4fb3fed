import type { FileGrantDocument, FileShareLookup, NewFileGrant, NewFileShare } from '@uplink/links';

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
  /**
   * A new grant (see FileGrantDocument) valid `ttlMs` from `now`; the token is returned once,
   * stored as its SHA-256.
   */
  createGrant(input: NewFileGrant): Promise<{ token: string; expiresAt: Date }>;
  /**
   * Takes the grant with this token hash out of the store in one atomic step and returns it when
   * it was still valid at `now`. Of concurrent calls with one token, at most one gets the grant;
   * every later call, and any call for an expired or unknown token, gets null.
   */
  consumeGrant(tokenHash: string, now: Date): Promise<FileGrantDocument | null>;
  /** Deletes shares, and grants never used, that expired before `before`; returns how many. */
  purgeExpired(before: Date): Promise<number>;
}

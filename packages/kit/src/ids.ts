import { createHash, randomBytes, randomInt } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random id such as `lnk_4fQz...` (20 alphanumerics, ~119 bits). */
export function randomId(prefix: string, length = 20): string {
  let id = `${prefix}_`;
  for (let i = 0; i < length; i++) id += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return id;
}

/**
 * Random bytes come from a pool filled 4 KiB at a time, each byte handed out once: one call
 * into the CSPRNG per hundred secrets rather than one each, which cost as much as all the
 * hashing a new link does (Node's randomUUID and randomInt buffer theirs alike).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let pooled = 0;

/** `size` fresh random bytes, encoded. */
function randomString(size: number, encoding: 'base64url' | 'hex'): string {
  if (pooled + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    pooled = 0;
  }
  const encoded = pool.toString(encoding, pooled, pooled + size);
  pooled += size;
  return encoded;
}

/** 256 random bits, base64url: the secret part of a customer link or an API key. */
export function newSecret(): string {
  return randomString(32, 'base64url');
}

/** What is stored instead of a secret: a leaked database gives no working link or key. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function shortHex(length = 4): string {
  return randomString(Math.ceil(length / 2), 'hex').slice(0, length);
}

import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** A secret encrypted with AES-256-GCM; `kid` names the key, so keys can be rotated. */
export type Sealed = { kid: string; iv: string; data: string; tag: string };

export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

/**
 * Encrypts tenant credentials at rest. Keys come from the deployment's secret as
 * `kid:base64key[,kid:base64key...]`: the first key seals, every listed key opens, so a new key
 * goes first and old ones stay listed until their ciphertexts were re-sealed. The associated
 * data binds a ciphertext to where it belongs (tenant and field): copied elsewhere, it no
 * longer opens.
 */
export class SecretBox {
  readonly #keys: Map<string, Buffer>;
  readonly #activeKid: string;

  constructor(keys: Map<string, Buffer>, activeKid: string) {
    this.#keys = keys;
    this.#activeKid = activeKid;
  }

  static parse(spec: string): SecretBox {
    const keys = new Map<string, Buffer>();
    let active: string | undefined;
    for (const entry of spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const colon = entry.indexOf(':');
      const kid = entry.slice(0, colon);
      const key = Buffer.from(entry.slice(colon + 1), 'base64');
      if (colon < 1 || !/^[A-Za-z0-9._-]{1,32}$/.test(kid)) {
        throw new SecretKeyError('each key must be written kid:base64key, kid of letters, digits, . _ -');
      }
      if (key.length !== 32)
        throw new SecretKeyError(`key ${kid} must be 32 bytes (base64), not ${key.length}`);
      keys.set(kid, key);
      active ??= kid;
    }
    if (!active) throw new SecretKeyError('no key given');
    return new SecretBox(keys, active);
  }

  /** A fresh key in the `kid:base64key` form, e.g. for `npm start`. */
  static generateSpec(kid = 'k1'): string {
    return `${kid}:${randomBytes(32).toString('base64')}`;
  }

  seal(plaintext: string, associatedData: string): Sealed {
    const key = this.#keys.get(this.#activeKid) as Buffer;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      kid: this.#activeKid,
      iv: iv.toString('base64'),
      data: data.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
  }

  /**
   * A 32-byte key for one purpose (an HMAC, say), derived from the sealing key: the deployment
   * keeps one secret, and the purposes' keys say nothing of each other or of it. It changes when
   * a new sealing key is put first.
   */
  deriveKey(purpose: string): Buffer {
    return createHmac('sha256', this.#keys.get(this.#activeKid) as Buffer)
      .update(purpose)
      .digest();
  }

  open(sealed: Sealed, associatedData: string): string {
    const key = this.#keys.get(sealed.kid);
    if (!key) throw new SecretKeyError(`no key ${sealed.kid} to open this secret; add it to the key list`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  }
}

/** A ConfigCheck: UPLINK_SECRET_KEYS, when set, is what SecretBox.parse reads. */
export function checkSecretKeys(config: { UPLINK_SECRET_KEYS?: string | undefined }): string[] {
  if (config.UPLINK_SECRET_KEYS === undefined) return [];
  try {
    SecretBox.parse(config.UPLINK_SECRET_KEYS);
    return [];
  } catch (err) {
    // The message names the key id at most, never key material.
    if (err instanceof SecretKeyError) return [`UPLINK_SECRET_KEYS: ${err.message}`];
    throw err;
  }
}

import { describe, expect, it } from 'vitest';
import { checkSecretKeys, SecretBox, SecretKeyError } from './secrets.ts';

describe('SecretBox', () => {
  it('seals with the first key, opens with any listed key, and binds the associated data', () => {
    const old = SecretBox.generateSpec('old');
    const next = SecretBox.generateSpec('new');
    const before = SecretBox.parse(old);
    const sealed = before.seal('fd-api-key', 'ten_a/freshdesk.apiKey');
    expect(sealed.kid).toBe('old');
    expect(JSON.stringify(sealed)).not.toContain('fd-api-key');

    const rotated = SecretBox.parse(`${next},${old}`);
    expect(rotated.open(sealed, 'ten_a/freshdesk.apiKey')).toBe('fd-api-key');
    expect(rotated.seal('x', 'y').kid).toBe('new');
    expect(() => rotated.open(sealed, 'ten_b/freshdesk.apiKey')).toThrow();
    expect(() => SecretBox.parse(next).open(sealed, 'ten_a/freshdesk.apiKey')).toThrow(SecretKeyError);
  });

  it('refuses malformed key lists with a reason', () => {
    expect(() => SecretBox.parse('')).toThrow(/no key/);
    expect(() => SecretBox.parse('k1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => SecretBox.parse('nokid')).toThrow(/kid:base64key/);
  });
});

describe('checkSecretKeys', () => {
  it('accepts no keys or keys SecretBox reads, and names the variable and the reason otherwise', () => {
    expect(checkSecretKeys({})).toEqual([]);
    expect(checkSecretKeys({ UPLINK_SECRET_KEYS: SecretBox.generateSpec('k2') })).toEqual([]);
    expect(checkSecretKeys({ UPLINK_SECRET_KEYS: 'k1:c2hvcnQ=' })).toEqual([
      'UPLINK_SECRET_KEYS: key k1 must be 32 bytes (base64), not 5',
    ]);
  });
});

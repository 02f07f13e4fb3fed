import { Actor, validate } from '@uplink/contracts';
import { hashSecret, newSecret } from '@uplink/kit';
import { describe, expect, it } from 'vitest';
import { keyIdOf, keyPrefixOf } from './api-keys.ts';

describe('keyPrefixOf', () => {
  it('shows 8 random characters of a minted key, and nothing of any other', () => {
    const minted = `upk_${newSecret()}`;
    expect(keyPrefixOf(minted)).toBe(minted.slice(0, 12));
    expect(keyPrefixOf('upk_short_demo_key_0000000000')).toBe('upk_');
    expect(keyPrefixOf('a-hand-made-bootstrap-key-without-the-prefix-000')).toBe('upk_');
  });

  it('always makes an actor the events accept', () => {
    for (const key of [`upk_${newSecret()}`, 'not-a-upk-key-but-long-enough-000000000000']) {
      expect(validate(Actor, { kind: 'api_key', keyPrefix: keyPrefixOf(key), label: 'bootstrap' }).ok).toBe(
        true,
      );
    }
  });
});

describe('keyIdOf', () => {
  it('derives a stable id of 20 letters and digits from the hash', () => {
    const hash = hashSecret(`upk_${newSecret()}`);
    expect(keyIdOf(hash)).toMatch(/^key_[A-Za-z0-9]{20}$/);
    expect(keyIdOf(hash)).toBe(keyIdOf(hash));
  });
});

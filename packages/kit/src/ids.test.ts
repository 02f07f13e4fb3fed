import { describe, expect, it } from 'vitest';
import { newSecret, shortHex } from './ids.ts';

describe('random secrets', () => {
  it('hands out each random byte once, across refills of the pool', () => {
    // 4 KiB a pool: 1,000 secrets of 32 bytes and short ids between them span several refills.
    const secrets = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      const secret = newSecret();
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      secrets.add(secret);
      expect(shortHex(3)).toMatch(/^[0-9a-f]{3}$/);
    }
    expect(secrets.size).toBe(1_000);
  });
});

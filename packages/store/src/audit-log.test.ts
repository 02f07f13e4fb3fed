import { describe, expect, it } from 'vitest';
import { auditHash, canonicalAuditEntry } from './audit-log.ts';

describe('the audit entry canonical form', () => {
  const entry = {
    tenantId: 'ten_1',
    seq: 7,
    at: '2031-03-04T05:06:07.089Z',
    action: 'settings.changed' as const,
    actor: { label: 'ops', kind: 'api_key' as const, keyPrefix: 'upk_AbCd' },
    details: { fields: ['mediaPolicy.audio', 'companyName'] },
  };

  it('is JSON with every object key sorted, no whitespace, without the hashes and absent fields', () => {
    expect(canonicalAuditEntry(entry)).toBe(
      '{"action":"settings.changed","actor":{"keyPrefix":"upk_AbCd","kind":"api_key","label":"ops"},' +
        '"at":"2031-03-04T05:06:07.089Z","details":{"fields":["mediaPolicy.audio","companyName"]},' +
        '"seq":7,"tenantId":"ten_1"}',
    );
  });

  it('hashes the previous hash, a newline and the canonical form', () => {
    // Computed apart from this code: printf '%s\n%s' <64 zeros> <the canonical form above> | sha256sum
    expect(auditHash('0'.repeat(64), entry)).toBe(
      '7039ecd235de3d54c067c800b7e2496d0b1ae62afb128dec59ce322d5d4a4d99',
    );
    expect(auditHash('0'.repeat(64), entry)).not.toBe(auditHash('1'.repeat(64), entry));
    expect(auditHash('0'.repeat(64), { ...entry, details: { fields: ['companyName'] } })).not.toBe(
      auditHash('0'.repeat(64), entry),
    );
  });
});

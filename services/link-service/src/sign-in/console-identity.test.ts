// The identity a provider's claims give must fit what the events carry: claims longer or stranger
// than the Agent schema allows are capped or left out where the session is minted, so a link the
// agent makes never fails its link.created.
import { Actor, validate } from '@uplink/contracts';
import type { IDToken } from 'openid-client';
import { describe, expect, it } from 'vitest';
import { consoleIdentity, type IdentityPolicy } from './console-identity.ts';

const policy: IdentityPolicy = { tenantClaim: 'uplink_tenant', adminClaim: 'groups' };

function claims(extra: Record<string, unknown>): IDToken {
  return {
    iss: 'https://idp.acme.example',
    sub: 'alice',
    aud: 'uplink',
    exp: 2_000_000_000,
    iat: 1_700_000_000,
    uplink_tenant: 'ten_acme',
    ...extra,
  };
}

/** The actor link.created and link.revoked carry for a session of this identity. */
function actorOf(extra: Record<string, unknown>) {
  const identity = consoleIdentity(claims(extra), policy);
  if (!identity) throw new Error('no identity');
  return { kind: 'agent' as const, ...identity.agent, source: 'console' };
}

describe('consoleIdentity', () => {
  it('keeps claims that fit as they are', () => {
    expect(actorOf({ name: 'Alice Agent', email: 'alice@acme.example' })).toEqual({
      kind: 'agent',
      id: 'alice@https://idp.acme.example',
      name: 'Alice Agent',
      email: 'alice@acme.example',
      source: 'console',
    });
  });

  it('caps claims longer than the events allow, and the events accept the result', () => {
    const cases = [
      { name: 'A'.repeat(5000) },
      // 300 characters, 600 UTF-16 code units: cut between characters, never inside a pair.
      { name: '😀'.repeat(300) },
      { sub: 's'.repeat(500), name: 'Long Subject' },
      { email: `${'a'.repeat(330)}@acme.example`, name: 'Long Email' },
      // No name: the email, then the subject, stand in, capped the same way.
      { sub: 'x'.repeat(400) },
    ];
    for (const extra of cases) {
      const actor = actorOf(extra);
      const checked = validate(Actor, actor);
      expect(checked.ok ? [] : checked.problems, JSON.stringify(extra).slice(0, 80)).toEqual([]);
      expect([...actor.name].length).toBeLessThanOrEqual(200);
      expect(actor.name).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
    expect(actorOf({ name: '😀'.repeat(300) }).name).toBe('😀'.repeat(200));
    expect(actorOf({ sub: 's'.repeat(500) }).id).toMatch(/^sha256:/);
  });

  it('leaves out an email address the events could not carry', () => {
    for (const email of [
      `${'a'.repeat(330)}@acme.example`,
      'ü@exämple.de',
      'a"b@acme.example',
      'not-an-address',
    ]) {
      const actor = actorOf({ name: 'Alice', email });
      expect(actor.email, email).toBeUndefined();
      expect(validate(Actor, actor).ok).toBe(true);
    }
  });
});

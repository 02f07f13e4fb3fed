import { hashSecret } from '@uplink/kit';
import { describe, expect, it } from 'vitest';
import { AGENT_SESSION_PREFIX, agentActor } from '../../src/agent-sessions.ts';
import { at, type CurrentStore, HOUR, newTenantId, SECOND, T0 } from './fixtures.ts';

const agent = { id: 'agent-7', name: 'Ada Agent', email: 'ada@acme.example' };

export function describeAgentSessions(store: CurrentStore): void {
  const sessions = () => store().agentSessions;
  const newSession = (tenantId = newTenantId(), ttlMinutes = 60) =>
    sessions().create({ tenantId, role: 'agent', agent, source: 'freshdesk', ttlMinutes }, T0);

  describe('agent sessions', () => {
    it('mints a session whose token is found by its hash until it expires', async () => {
      const tenantId = newTenantId();
      const created = await newSession(tenantId, 30);
      expect(created.token.startsWith(AGENT_SESSION_PREFIX)).toBe(true);
      expect(created.sessionId).toMatch(/^ses_[A-Za-z0-9]{20}$/);
      expect(created.expiresAt).toStrictEqual(at(30 * 60 * SECOND));
      const expected = {
        _id: hashSecret(created.token),
        sessionId: created.sessionId,
        tenantId,
        role: 'agent',
        agent,
        source: 'freshdesk',
        createdAt: T0,
        expiresAt: created.expiresAt,
      };
      expect(await sessions().findUsable(hashSecret(created.token), at(30 * 60 * SECOND - 1))).toStrictEqual(
        expected,
      );
      expect(await sessions().findUsable(hashSecret(created.token), created.expiresAt)).toBeNull();
      expect(await sessions().findUsable(hashSecret(`${created.token}x`), T0)).toBeNull();
      expect(agentActor(expected)).toStrictEqual({ kind: 'agent', ...agent, source: 'freshdesk' });
    });

    it('revokes a session of its tenant only, once', async () => {
      const tenantId = newTenantId();
      const created = await newSession(tenantId);
      expect(await sessions().revoke(newTenantId(), created.sessionId, at(SECOND))).toBe(false);
      expect(await sessions().findUsable(hashSecret(created.token), at(SECOND))).not.toBeNull();
      expect(await sessions().revoke(tenantId, created.sessionId, at(SECOND))).toBe(true);
      expect(await sessions().findUsable(hashSecret(created.token), at(2 * SECOND))).toBeNull();
      expect(await sessions().revoke(tenantId, created.sessionId, at(2 * SECOND))).toBe(false);
    });

    it('purges the sessions that expired, revoked or not, and only those', async () => {
      const tenantId = newTenantId();
      const short = await newSession(tenantId, 1);
      const revoked = await newSession(tenantId, 1);
      await sessions().revoke(tenantId, revoked.sessionId, T0);
      const long = await newSession(tenantId, 60);
      expect(await sessions().purgeExpired(at(2 * 60 * SECOND))).toBe(2);
      expect(await sessions().purgeExpired(at(2 * 60 * SECOND))).toBe(0);
      expect(await sessions().revoke(tenantId, short.sessionId, T0)).toBe(false);
      expect(await sessions().findUsable(hashSecret(long.token), at(2 * 60 * SECOND))).not.toBeNull();
    });

    it('refuses a lifetime outside 1 minute to 12 hours', async () => {
      await expect(newSession(newTenantId(), 0)).rejects.toThrow(RangeError);
      await expect(newSession(newTenantId(), 12 * 60 + 1)).rejects.toThrow(RangeError);
      expect((await newSession(newTenantId(), 12 * 60)).expiresAt).toStrictEqual(at(12 * HOUR));
    });
  });
}

import { hashSecret } from '@uplink/kit';
import { describe, expect, it } from 'vitest';
import type { NewStreamTicket } from '../../src/stream-ticket-store.ts';
import { at, type CurrentStore, newTenantId, SECOND, T0, ticket } from './fixtures.ts';

export function describeStreamTickets(store: CurrentStore): void {
  const tickets = () => store().streamTickets;
  const newTicket = (overrides: Partial<NewStreamTicket> = {}): NewStreamTicket => ({
    tenantId: newTenantId(),
    ticket: ticket(),
    role: 'agent',
    actor: { kind: 'agent', id: 'agent-7', name: 'Ada Agent', source: 'console' },
    credentialHash: hashSecret('ups_the-session-that-asked'),
    sessionId: 'ses_7',
    ttlMs: 60 * SECOND,
    now: T0,
    ...overrides,
  });

  describe('stream tickets', () => {
    it('gives a ticket once: the first use gets what it was minted for, every later one nothing', async () => {
      const input = newTicket();
      const { token, expiresAt } = await tickets().create(input);
      expect(token).toMatch(/^ust_[A-Za-z0-9_-]{40,}$/);
      expect(expiresAt).toEqual(at(60 * SECOND));

      expect(await tickets().consume(hashSecret(token), at(59 * SECOND))).toStrictEqual({
        _id: hashSecret(token),
        tenantId: input.tenantId,
        ticket: input.ticket,
        role: 'agent',
        actor: input.actor,
        credentialHash: input.credentialHash,
        sessionId: 'ses_7',
        createdAt: T0,
        expiresAt: at(60 * SECOND),
      });
      expect(await tickets().consume(hashSecret(token), at(59 * SECOND))).toBeNull();
    });

    it('is stored by its hash only: the token itself opens nothing', async () => {
      const { token } = await tickets().create(newTicket());
      expect(await tickets().consume(token, T0)).toBeNull();
      expect(await tickets().consume(hashSecret(`${token}x`), T0)).toBeNull();
      expect(await tickets().consume(hashSecret(token), T0)).not.toBeNull();
    });

    it('opens nothing once expired, and is gone after that attempt too', async () => {
      const { token } = await tickets().create(newTicket());
      expect(await tickets().consume(hashSecret(token), at(60 * SECOND))).toBeNull();
      expect(await tickets().consume(hashSecret(token), at(SECOND))).toBeNull();
    });

    it('goes to exactly one of many concurrent uses', async () => {
      const { token } = await tickets().create(newTicket());
      const uses = await Promise.all(
        Array.from({ length: 8 }, () => tickets().consume(hashSecret(token), at(SECOND))),
      );
      expect(uses.filter((use) => use !== null)).toHaveLength(1);
    });

    it('purges the tickets that expired unused, and only those', async () => {
      const expired = await tickets().create(newTicket({ ttlMs: SECOND }));
      const valid = await tickets().create(newTicket({ ttlMs: 60 * SECOND }));
      expect(await tickets().purgeExpired(at(2 * SECOND))).toBe(1);
      expect(await tickets().purgeExpired(at(2 * SECOND))).toBe(0);
      expect(await tickets().consume(hashSecret(expired.token), T0)).toBeNull();
      expect(await tickets().consume(hashSecret(valid.token), at(2 * SECOND))).not.toBeNull();
    });
  });
}

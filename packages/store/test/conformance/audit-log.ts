import type { AuditActor } from '@uplink/contracts';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_GENESIS_HASH,
  type AuditEntry,
  auditHash,
  type NewAuditEntry,
  verifyAuditChain,
} from '../../src/audit-log.ts';
import type { Store } from '../../src/store.ts';
import type { AuditTamper } from '../adapters.ts';
import { agentActor, at, HOUR, keyActor, newTenantId, SECOND } from './fixtures.ts';

const customer: AuditActor = { kind: 'customer', ipHash: 'a1b2', userAgent: 'Mozilla/5.0' };

function created(linkId: string, offsetMs = 0): NewAuditEntry {
  return {
    action: 'link.created',
    actor: agentActor,
    linkId,
    details: { ticket: 'freshdesk:1' },
    at: at(offsetMs),
  };
}

export function describeAuditLog<S extends Store>(
  store: () => S,
  openReplica: () => Promise<S>,
  tamper: AuditTamper<S>,
): void {
  const audit = () => store().audit;

  describe('audit log', () => {
    it('chains each tenant’s entries from seq 1, each hash over the previous hash and the entry', async () => {
      const tenantId = newTenantId();
      const other = newTenantId();
      const first = await audit().append(tenantId, created('lnk_1'));
      await audit().append(other, created('lnk_9'));
      const second = await audit().append(tenantId, {
        action: 'upload.accepted',
        actor: customer,
        linkId: 'lnk_1',
        at: at(SECOND),
      });
      expect(first).toStrictEqual({
        tenantId,
        seq: 1,
        at: at(0).toISOString(),
        action: 'link.created',
        actor: agentActor,
        linkId: 'lnk_1',
        details: { ticket: 'freshdesk:1' },
        prevHash: AUDIT_GENESIS_HASH,
        hash: auditHash(AUDIT_GENESIS_HASH, {
          tenantId,
          seq: 1,
          at: at(0).toISOString(),
          action: 'link.created',
          actor: agentActor,
          linkId: 'lnk_1',
          details: { ticket: 'freshdesk:1' },
        }),
      });
      expect(second).toMatchObject({ seq: 2, prevHash: first.hash, details: {} });
      expect(await audit().list(tenantId, { limit: 10 })).toStrictEqual([second, first]);
      expect(await audit().chain(tenantId, 0, 10)).toStrictEqual([first, second]);
      expect(await verifyAuditChain(audit(), tenantId)).toStrictEqual({ ok: true, checked: 2, from: 1 });
      expect(await verifyAuditChain(audit(), newTenantId())).toStrictEqual({ ok: true, checked: 0, from: 1 });
    });

    it('lists by time range, link, actor and action, newest first, a page at a time', async () => {
      const tenantId = newTenantId();
      await audit().append(tenantId, created('lnk_1', 0));
      await audit().append(tenantId, { ...created('lnk_2', SECOND), actor: keyActor });
      await audit().append(tenantId, {
        action: 'link.revoked',
        actor: agentActor,
        linkId: 'lnk_1',
        at: at(2 * SECOND),
      });
      await audit().append(tenantId, {
        action: 'settings.changed',
        actor: keyActor,
        details: { fields: ['companyName'] },
        at: at(3 * SECOND),
      });
      const seqs = async (filter: Parameters<Store['audit']['list']>[1]) =>
        (await audit().list(tenantId, filter)).map((entry) => entry.seq);
      expect(await seqs({ limit: 10 })).toStrictEqual([4, 3, 2, 1]);
      expect(await seqs({ limit: 10, from: at(SECOND), to: at(3 * SECOND) })).toStrictEqual([3, 2]);
      expect(await seqs({ limit: 10, linkId: 'lnk_1' })).toStrictEqual([3, 1]);
      expect(await seqs({ limit: 10, actor: 'api_key:upk_AbCdEfGh' })).toStrictEqual([4, 2]);
      expect(await seqs({ limit: 10, actor: 'agent:agent-7', action: 'link.revoked' })).toStrictEqual([3]);
      expect(await seqs({ limit: 2 })).toStrictEqual([4, 3]);
      expect(await seqs({ limit: 2, beforeSeq: 3 })).toStrictEqual([2, 1]);
      expect(await seqs({ limit: 2, beforeSeq: 1 })).toStrictEqual([]);
    });

    it('keeps one unbroken chain under 20 appends at once on one tenant', async () => {
      const tenantId = newTenantId();
      const appended = await Promise.all(
        Array.from({ length: 20 }, (_, i) => audit().append(tenantId, created(`lnk_${i}`, i))),
      );
      expect(appended.map((entry) => entry.seq).sort((a, b) => a - b)).toStrictEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      const chain = await audit().chain(tenantId, 0, 100);
      expect(chain).toHaveLength(20);
      expect(new Set(chain.map((entry) => entry.linkId)).size).toBe(20);
      expect(await verifyAuditChain(audit(), tenantId)).toStrictEqual({ ok: true, checked: 20, from: 1 });
    });

    it('keeps one unbroken chain under 200 appends on one tenant from two replicas, arriving over 20 turns', async () => {
      const tenantId = newTenantId();
      const replica = await openReplica();
      try {
        const appends: Promise<AuditEntry>[] = [];
        for (let turn = 0; turn < 20; turn++) {
          for (let i = turn * 10; i < (turn + 1) * 10; i++) {
            const appender = i % 2 === 0 ? store() : replica;
            appends.push(appender.audit.append(tenantId, created(`lnk_${i}`, i)));
          }
          // Not waiting for any append: the next ten arrive while earlier ones are being written.
          await new Promise((resolve) => setImmediate(resolve));
        }
        const appended = await Promise.all(appends);
        const chain = await audit().chain(tenantId, 0, 500);
        expect(chain.map((entry) => entry.seq)).toStrictEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        // Each caller got its own entry, exactly as stored.
        expect(chain).toStrictEqual([...appended].sort((a, b) => a.seq - b.seq));
        expect(new Set(chain.map((entry) => entry.linkId)).size).toBe(200);
        expect(await verifyAuditChain(audit(), tenantId)).toStrictEqual({ ok: true, checked: 200, from: 1 });
      } finally {
        await replica.close();
      }
    });

    it('names the entry altered in the database', async () => {
      const tenantId = newTenantId();
      for (let i = 0; i < 4; i++) await audit().append(tenantId, created(`lnk_${i}`, i));
      await tamper.alterDetails(store(), tenantId, 3, { ticket: 'freshdesk:666' });
      expect(await verifyAuditChain(audit(), tenantId)).toStrictEqual({
        ok: false,
        checked: 2,
        from: 1,
        firstBroken: { seq: 3, reason: 'entry 3 was altered: its hash does not match its content' },
      });
    });

    it('names the entry deleted from the database', async () => {
      const tenantId = newTenantId();
      for (let i = 0; i < 4; i++) await audit().append(tenantId, created(`lnk_${i}`, i));
      await tamper.remove(store(), tenantId, 2);
      expect(await verifyAuditChain(audit(), tenantId)).toStrictEqual({
        ok: false,
        checked: 1,
        from: 1,
        firstBroken: { seq: 2, reason: 'entry 2 missing (deleted): entry 3 follows entry 1' },
      });
    });

    it('prunes entries older than the cutoff, verifying from the checkpoint it leaves', async () => {
      const tenantId = newTenantId();
      const other = newTenantId();
      const entries = [];
      for (let i = 0; i < 4; i++) entries.push(await audit().append(tenantId, created(`lnk_${i}`, i * HOUR)));
      await audit().append(other, created('lnk_x', 5 * HOUR));
      expect(await audit().prune(at(2 * HOUR))).toBe(2);
      expect(await audit().prune(at(2 * HOUR))).toBe(0);
      expect(await audit().checkpoint(tenantId)).toStrictEqual({ seq: 2, hash: entries[1]?.hash });
      expect(await audit().checkpoint(other)).toBeNull();
      expect((await audit().chain(tenantId, 0, 10)).map((entry) => entry.seq)).toStrictEqual([3, 4]);
      expect(await verifyAuditChain(audit(), tenantId)).toStrictEqual({ ok: true, checked: 2, from: 3 });

      // Everything pruned: the next entry still follows the last one.
      expect(await audit().prune(at(10 * HOUR))).toBe(3);
      const next = await audit().append(tenantId, created('lnk_5', 11 * HOUR));
      expect(next).toMatchObject({ seq: 5, prevHash: entries[3]?.hash });
      expect(await verifyAuditChain(audit(), tenantId)).toStrictEqual({ ok: true, checked: 1, from: 5 });
      await tamper.alterDetails(store(), tenantId, 5, {});
      expect(await verifyAuditChain(audit(), tenantId)).toMatchObject({ ok: false, firstBroken: { seq: 5 } });
    });
  });
}

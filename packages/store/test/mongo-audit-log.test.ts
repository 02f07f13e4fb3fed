import { randomId } from '@uplink/kit';
import { connectMongo } from '@uplink/store/mongo';
import { mongoTestOptions } from '@uplink/testing';
import type { CommandStartedEvent } from 'mongodb';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type NewAuditEntry, verifyAuditChain } from '../src/audit-log.ts';
import { MongoStore } from '../src/mongo/mongo-store.ts';
import { agentActor, at, newTenantId } from './conformance/fixtures.ts';

function created(linkId: string, offsetMs: number): NewAuditEntry {
  return { action: 'link.created', actor: agentActor, linkId, at: at(offsetMs) };
}

// What one process's appends cost in round trips: a store whose client reports every command.
describe('MongoAuditLog round trips', () => {
  let store: MongoStore;
  /** The commands the store sent, each as its name and collection (`insert audit_entries`). */
  let commands: string[];
  beforeEach(async () => {
    commands = [];
    const mongo = await connectMongo(inject('mongoUri'), `test_${randomId('db', 12)}`, 'tests', {
      ...mongoTestOptions(),
      monitorCommands: true,
    });
    mongo.client.on('commandStarted', (event: CommandStartedEvent) => {
      commands.push(`${event.commandName} ${String(event.command[event.commandName])}`);
    });
    store = new MongoStore(mongo);
    await store.prepare();
    commands.length = 0;
  });
  afterEach(async () => {
    await store.mongo.db.dropDatabase().catch(() => {});
    await store.close();
  });
  const count = (command: string) => commands.filter((sent) => sent === command).length;

  it('writes appends made at once with one insert after one read of the head', async () => {
    const tenantId = newTenantId();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => store.audit.append(tenantId, created(`lnk_${i}`, i))),
    );
    expect(count('insert audit_entries')).toBe(1);
    // The head: the tenant's last entry, and with none its checkpoint.
    expect(count('find audit_entries')).toBe(1);
    expect(count('find audit_checkpoints')).toBe(1);
    expect(await verifyAuditChain(store.audit, tenantId)).toStrictEqual({ ok: true, checked: 100, from: 1 });
  });

  it('writes appends arriving while others are written in a batch per insert, not one each', async () => {
    const tenantId = newTenantId();
    const turns = 20;
    const appends = [];
    for (let turn = 0; turn < turns; turn++) {
      for (let i = turn * 10; i < (turn + 1) * 10; i++) {
        appends.push(store.audit.append(tenantId, created(`lnk_${i}`, i)));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(appends);
    // A batch takes every append waiting, so there is at most one insert per turn (the old
    // read-insert-retry cost at least one per append, and O(N²) under contention).
    const inserts = count('insert audit_entries');
    expect(inserts).toBeGreaterThanOrEqual(1);
    expect(inserts).toBeLessThanOrEqual(turns);
    // The head is read when a tenant's writer starts, not before every batch.
    expect(count('find audit_entries')).toBeLessThanOrEqual(inserts);
    expect(await verifyAuditChain(store.audit, tenantId)).toStrictEqual({ ok: true, checked: 200, from: 1 });
  });

  it('fails the whole batch when the server cannot store one of its entries, and the next append reads the head and follows the chain', async () => {
    const tenantId = newTenantId();
    const first = await store.audit.append(tenantId, created('lnk_0', 0));
    // Larger than a document may be (16 MiB): the driver refuses the insert, nothing is stored.
    const oversized = { ...created('lnk_big', 1), details: { note: 'x'.repeat(17 * 1024 * 1024) } };
    const results = await Promise.allSettled([
      store.audit.append(tenantId, oversized),
      store.audit.append(tenantId, created('lnk_1', 2)),
    ]);
    expect(results.map((result) => result.status)).toStrictEqual(['rejected', 'rejected']);
    const next = await store.audit.append(tenantId, created('lnk_2', 3));
    expect(next).toMatchObject({ seq: 2, prevHash: first.hash, linkId: 'lnk_2' });
    expect(await verifyAuditChain(store.audit, tenantId)).toStrictEqual({ ok: true, checked: 2, from: 1 });
  });
});

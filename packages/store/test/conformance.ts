import { afterEach, beforeEach, describe } from 'vitest';
import type { Store } from '../src/store.ts';
import type { Adapter } from './adapters.ts';
import { describeAgentSessions } from './conformance/agent-sessions.ts';
import { describeAuditLog } from './conformance/audit-log.ts';
import { describeLinkReads } from './conformance/link-reads.ts';
import { describeLinkTransitions } from './conformance/link-transitions.ts';
import { describeOutbox } from './conformance/outbox.ts';
import { describeShares } from './conformance/shares.ts';
import { describeStreamTickets } from './conformance/stream-tickets.ts';
import { describeTenants } from './conformance/tenants.ts';
import { describeUploads } from './conformance/uploads.ts';

/**
 * The Store port's behaviour, registered as vitest tests against one adapter. Every
 * adapter runs the same suite, so what it asserts is the contract the services rely on. Each
 * test gets a store of its own: several of the port's queries span all documents.
 */
export function describeStore<S extends Store>({
  name,
  open,
  dispose,
  replica,
  tamperAudit,
  storeAsLegacyUpload,
}: Adapter<S>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: S | undefined;
    beforeEach(async () => {
      store = await open();
      await store.prepare();
    });
    afterEach(async () => {
      if (store) await dispose(store);
      store = undefined;
    });
    const current = () => {
      if (!store) throw new Error('no store is open');
      return store;
    };

    describeLinkReads(current);
    describeLinkTransitions(current, (linkId) => storeAsLegacyUpload(current(), linkId));
    describeOutbox(current);
    describeShares(current);
    describeStreamTickets(current);
    describeUploads(current);
    describeTenants(current);
    describeAgentSessions(current);
    describeAuditLog(current, () => replica(current()), tamperAudit);
  });
}

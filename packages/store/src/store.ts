import type { AgentSessionStore } from './agent-sessions.ts';
import type { AuditLog } from './audit-log.ts';
import type { FileShareStore } from './file-share-store.ts';
import type { LinkStore } from './link-store.ts';
import type { StreamTicketStore } from './stream-ticket-store.ts';
import type { TenantStore } from './tenant-store.ts';
import type { UploadStore } from './upload-store.ts';

/**
 * Everything Uplink keeps (links and their outbox, upload intents, file shares, tenants with
 * their keys, settings and sealed destinations, stream tickets, agent sessions, the audit log), behind one port with two adapters: MongoDB
 * (production, `MONGODB_URI`) and SQLite through Node's built-in `node:sqlite` (the embedded
 * default, a file under the data folder). One conformance suite
 * (packages/store/test/conformance.ts) runs against both.
 */
export interface Store {
  readonly kind: 'mongodb' | 'sqlite';
  /** Where the data lives, for the startup banner and logs (no credentials). */
  readonly location: string;
  readonly links: LinkStore;
  readonly shares: FileShareStore;
  readonly streamTickets: StreamTicketStore;
  readonly tenants: TenantStore;
  readonly agentSessions: AgentSessionStore;
  readonly uploads: UploadStore;
  readonly audit: AuditLog;
  /** Creates indexes / tables; safe to repeat and to run from several processes at once. */
  prepare(): Promise<void>;
  /** Rejects when the store cannot serve requests now (readiness). */
  ping(): Promise<void>;
  /** Whether an error this store threw means it cannot answer now, rather than a bad request. */
  isUnavailable(err: unknown): boolean;
  close(): Promise<void>;
}

/** `store` with its indexes or tables in place; closed again when that fails. */
export async function preparedStore<S extends Store>(store: S): Promise<S> {
  try {
    await store.prepare();
    return store;
  } catch (err) {
    await store.close();
    throw err;
  }
}

import { isSqliteBusy } from '@uplink/kit';
import type { Store } from '../store.ts';
import { SqliteDatabase, type SqliteDatabaseOptions } from './database.ts';
import { SqliteAgentSessionStore } from './sqlite-agent-session-store.ts';
import { SqliteAuditLog } from './sqlite-audit-log.ts';
import { SqliteFileShareStore } from './sqlite-file-share-store.ts';
import { SqliteLinkStore } from './sqlite-link-store.ts';
import { SqliteStreamTicketStore } from './sqlite-stream-ticket-store.ts';
import { SqliteTenantStore } from './sqlite-tenant-store.ts';
import { SqliteUploadStore } from './sqlite-upload-store.ts';

/**
 * The embedded Store: one SQLite file through Node's built-in `node:sqlite`, opened (and
 * its schema migrated) by the constructor. Other processes may open the same file, a CLI for
 * instance: every write is a BEGIN IMMEDIATE transaction. A write answers once it is on the
 * disk, sharing its transaction and its sync with the writes made meanwhile (SqliteDatabase.write).
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly location: string;
  readonly links: SqliteLinkStore;
  readonly shares: SqliteFileShareStore;
  readonly streamTickets: SqliteStreamTicketStore;
  readonly agentSessions: SqliteAgentSessionStore;
  readonly tenants: SqliteTenantStore;
  readonly uploads: SqliteUploadStore;
  readonly audit: SqliteAuditLog;
  readonly #db: SqliteDatabase;

  /** Creates the file and its folder when missing. */
  constructor(path: string, options: SqliteDatabaseOptions = {}) {
    this.#db = SqliteDatabase.open(path, options);
    this.location = path;
    this.audit = new SqliteAuditLog(this.#db);
    this.links = new SqliteLinkStore(this.#db, this.audit);
    this.shares = new SqliteFileShareStore(this.#db);
    this.streamTickets = new SqliteStreamTicketStore(this.#db);
    this.tenants = new SqliteTenantStore(this.#db);
    this.agentSessions = new SqliteAgentSessionStore(this.#db);
    this.uploads = new SqliteUploadStore(this.#db);
  }

  /** Opening migrated the schema already; this only proves the file is still usable. */
  async prepare(): Promise<void> {
    this.#db.ping();
  }

  async ping(): Promise<void> {
    this.#db.ping();
  }

  /** Another process (the CLI) held the file's write lock longer than the busy timeout. */
  isUnavailable(err: unknown): boolean {
    return isSqliteBusy(err);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}

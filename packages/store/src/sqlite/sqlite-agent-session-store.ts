import {
  type AgentSessionDocument,
  type AgentSessionStore,
  type CreatedAgentSession,
  isUsable,
  mintAgentSession,
  type NewAgentSession,
} from '../agent-sessions.ts';
import type { SqliteDatabase } from './database.ts';
import { DocumentTable, millis } from './document-table.ts';

/** AgentSessionStore on SQLite: `agent_sessions`, keyed by the token's hash. */
export class SqliteAgentSessionStore implements AgentSessionStore {
  readonly #db: SqliteDatabase;
  readonly #sessions: DocumentTable<AgentSessionDocument>;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#sessions = new DocumentTable(db, 'agent_sessions', {
      session_id: (session) => session.sessionId,
      tenant_id: (session) => session.tenantId,
      expires_at: (session) => session.expiresAt.getTime(),
      revoked_at: (session) => millis(session.revokedAt),
    });
  }

  /** The schema is created when the database is opened. */
  async ensureIndexes(): Promise<void> {}

  async create(session: NewAgentSession, now: Date): Promise<CreatedAgentSession> {
    const { token, stored } = mintAgentSession(session, now);
    await this.#db.write(() => this.#sessions.insert(stored));
    return { token, sessionId: stored.sessionId, expiresAt: stored.expiresAt };
  }

  async findUsable(tokenHash: string, now: Date): Promise<AgentSessionDocument | null> {
    const session = this.#sessions.get(tokenHash);
    return session && isUsable(session, now) ? session : null;
  }

  async revoke(tenantId: string, sessionId: string, now: Date): Promise<boolean> {
    return this.#db.write(() => {
      const [session] = this.#sessions.find('session_id = ? AND tenant_id = ? AND revoked_at IS NULL', [
        sessionId,
        tenantId,
      ]);
      if (!session) return false;
      this.#sessions.replace({ ...session, revokedAt: now });
      return true;
    });
  }

  async purgeExpired(before: Date): Promise<number> {
    return this.#db.write(() => this.#sessions.delete('expires_at < ?', [before.getTime()]));
  }
}

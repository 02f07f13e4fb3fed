import type { Collection, Db } from 'mongodb';
import {
  type AgentSessionDocument,
  type AgentSessionStore,
  type CreatedAgentSession,
  isUsable,
  mintAgentSession,
  type NewAgentSession,
} from '../agent-sessions.ts';

/** AgentSessionStore on MongoDB: `agent_sessions`, keyed by the token's hash. */
export class MongoAgentSessionStore implements AgentSessionStore {
  readonly collection: Collection<AgentSessionDocument>;

  constructor(db: Db) {
    this.collection = db.collection<AgentSessionDocument>('agent_sessions');
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ sessionId: 1 }, { name: 'session_id', unique: true });
    await this.collection.createIndex({ expiresAt: 1 }, { name: 'session_expiry' });
  }

  async create(session: NewAgentSession, now: Date): Promise<CreatedAgentSession> {
    const { token, stored } = mintAgentSession(session, now);
    await this.collection.insertOne(stored);
    return { token, sessionId: stored.sessionId, expiresAt: stored.expiresAt };
  }

  async findUsable(tokenHash: string, now: Date): Promise<AgentSessionDocument | null> {
    const session = await this.collection.findOne({ _id: tokenHash });
    return session && isUsable(session, now) ? session : null;
  }

  async revoke(tenantId: string, sessionId: string, now: Date): Promise<boolean> {
    const result = await this.collection.updateOne(
      { tenantId, sessionId, revokedAt: { $exists: false } },
      { $set: { revokedAt: now } },
    );
    return result.modifiedCount === 1;
  }

  async purgeExpired(before: Date): Promise<number> {
    const result = await this.collection.deleteMany({ expiresAt: { $lt: before } });
    return result.deletedCount;
  }
}

import { type Actor, AGENT_SESSION_MAX_MINUTES, type Agent, type AgentSessionRole } from '@uplink/contracts';
import { hashSecret, newSecret, randomId } from '@uplink/kit';

/** Agent session tokens start with this, so a bearer credential says which kind it is. */
export const AGENT_SESSION_PREFIX = 'ups_';

export type NewAgentSession = {
  tenantId: string;
  role: AgentSessionRole;
  agent: Agent;
  /** Where the agent works: `freshdesk`, `twilio-flex`, `console`, … */
  source: string;
  ttlMinutes: number;
};

/**
 * A short-lived credential for one agent, stored by the SHA-256 of its token only (`_id`); the
 * token is shown once. `sessionId` names it for revocation.
 */
export type AgentSessionDocument = {
  _id: string;
  sessionId: string;
  tenantId: string;
  role: AgentSessionRole;
  agent: Agent;
  source: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
};

export type CreatedAgentSession = { token: string; sessionId: string; expiresAt: Date };

/**
 * Agent sessions: the store port for them. Adapters: MongoAgentSessionStore and the SQLite one.
 * Nothing is cached: a revoked session stops working at once, on every replica.
 */
export interface AgentSessionStore {
  ensureIndexes(): Promise<void>;
  create(session: NewAgentSession, now: Date): Promise<CreatedAgentSession>;
  /** The session whose token has this hash, if it works at `now`: not expired, not revoked. */
  findUsable(tokenHash: string, now: Date): Promise<AgentSessionDocument | null>;
  /** Revokes the tenant's session; false when it has no such session or it was revoked already. */
  revoke(tenantId: string, sessionId: string, now: Date): Promise<boolean>;
  /** Deletes the sessions that expired before `before`, revoked or not; returns how many. */
  purgeExpired(before: Date): Promise<number>;
}

/** A new session's token and document (both adapters mint them here). */
export function mintAgentSession(
  session: NewAgentSession,
  now: Date,
): { token: string; stored: AgentSessionDocument } {
  const { ttlMinutes } = session;
  if (!Number.isInteger(ttlMinutes) || ttlMinutes < 1 || ttlMinutes > AGENT_SESSION_MAX_MINUTES) {
    throw new RangeError(`ttlMinutes must be a whole number from 1 to ${AGENT_SESSION_MAX_MINUTES}`);
  }
  const token = `${AGENT_SESSION_PREFIX}${newSecret()}`;
  const stored: AgentSessionDocument = {
    _id: hashSecret(token),
    sessionId: randomId('ses'),
    tenantId: session.tenantId,
    role: session.role,
    agent: session.agent,
    source: session.source,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlMinutes * 60_000),
  };
  return { token, stored };
}

export function isUsable(session: AgentSessionDocument, now: Date): boolean {
  return !session.revokedAt && session.expiresAt > now;
}

/** Who acts through the session, as links record it. */
export function agentActor(session: Pick<AgentSessionDocument, 'agent' | 'source'>): Actor {
  const { id, name, email } = session.agent;
  return { kind: 'agent', id, name, ...(email !== undefined ? { email } : {}), source: session.source };
}

import {
  AGENT_SESSION_DEFAULT_MINUTES,
  AgentSessionParams,
  CreateAgentSessionBody,
  CreatedAgentSession,
  ErrorEnvelope,
} from '@uplink/contracts';
import { type Clock, type HttpApp, notFound } from '@uplink/kit';
import type { AgentSessionStore, AuditRecorder } from '@uplink/store';

/**
 * Agent sessions: a helpdesk app's server side (an integration key) mints a short-lived token for
 * the agent in front of it, so the agent's browser never holds a tenant key.
 */
export function agentSessionRoutes(
  app: HttpApp,
  deps: { agentSessions: AgentSessionStore; audit: AuditRecorder; clock: Clock },
): void {
  const { agentSessions, audit, clock } = deps;

  app.post(
    '/v1/agent-sessions',
    {
      config: { access: 'agentSessions' },
      schema: {
        summary: 'Start an agent session',
        description:
          'A token for one agent: it may create, list and revoke links, preview files and follow the live stream, nothing else. One hour unless `ttlMinutes` says otherwise, at most 12 hours.',
        tags: ['agent sessions'],
        body: CreateAgentSessionBody,
        response: { 201: CreatedAgentSession, 400: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      const { agent, source, ttlMinutes = AGENT_SESSION_DEFAULT_MINUTES } = request.body;
      const { tenantId, actor } = request.principal;
      const created = await agentSessions.create(
        { tenantId, role: 'agent', agent, source, ttlMinutes },
        clock.now(),
      );
      await audit.record(tenantId, 'agent_session.created', actor, {
        details: { sessionId: created.sessionId, agentId: agent.id, source, ttlMinutes },
      });
      return reply.code(201).send({
        id: created.sessionId,
        token: created.token,
        expiresAt: created.expiresAt.toISOString(),
      });
    },
  );

  app.delete(
    '/v1/agent-sessions/:id',
    {
      config: { access: 'agentSessions' },
      schema: {
        summary: 'Revoke an agent session',
        description: 'The session stops working at once, on every replica.',
        tags: ['agent sessions'],
        params: AgentSessionParams,
        response: {
          204: { description: 'Revoked.', type: 'null' },
          400: ErrorEnvelope,
          404: ErrorEnvelope,
        },
      },
    },
    async (request, reply) => {
      const { tenantId, actor } = request.principal;
      const revoked = await agentSessions.revoke(tenantId, request.params.id, clock.now());
      if (!revoked) throw notFound('No such agent session, or it was revoked already.');
      await audit.record(tenantId, 'agent_session.revoked', actor, {
        details: { sessionId: request.params.id },
      });
      return reply.code(204).send(null);
    },
  );
}

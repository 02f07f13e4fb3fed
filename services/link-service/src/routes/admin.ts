import { ApiKeyRole, ErrorEnvelope, TenantId } from '@uplink/contracts';
import type { Clock, HttpApp } from '@uplink/kit';
import { notFound } from '@uplink/kit';
import type { AuditRecorder, TenantStore } from '@uplink/store';
import { Type } from 'typebox';
import { keyFacts } from './api-keys.ts';

/** Who the audit log says made a key on an operator route or the CLI: the deployment's operator. */
export const OPERATOR = { kind: 'system', name: 'operator' } as const;

const CreatedTenant = Type.Object({ tenantId: TenantId, apiKey: Type.String() });

/** Operator routes: create tenants and API keys. Registered only when an operator token is set. */
export function adminRoutes(
  app: HttpApp,
  deps: { tenants: TenantStore; audit: AuditRecorder; clock: Clock },
): void {
  app.post(
    '/admin/tenants',
    {
      schema: {
        summary: 'Create a tenant and its first API key (an admin key)',
        tags: ['admin'],
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100 }) },
          { additionalProperties: false },
        ),
        response: { 201: CreatedTenant, 400: ErrorEnvelope, 401: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      const now = deps.clock.now();
      const tenant = await deps.tenants.createTenant(request.body.name, now);
      const { key, stored } = await deps.tenants.createApiKey(
        tenant._id,
        { label: 'first key', role: 'admin' },
        now,
      );
      await deps.audit.record(tenant._id, 'api_key.created', OPERATOR, { details: keyFacts(stored) });
      return reply.code(201).send({ tenantId: tenant._id, apiKey: key });
    },
  );

  app.post(
    '/admin/tenants/:tenantId/keys',
    {
      schema: {
        summary: 'Create another API key for a tenant',
        description: 'An admin key unless `role` says integration.',
        tags: ['admin'],
        params: Type.Object({ tenantId: TenantId }),
        body: Type.Object(
          { label: Type.String({ minLength: 1, maxLength: 100 }), role: Type.Optional(ApiKeyRole) },
          { additionalProperties: false },
        ),
        response: { 201: CreatedTenant, 400: ErrorEnvelope, 401: ErrorEnvelope, 404: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.params;
      if (!(await deps.tenants.getSettings(tenantId))) throw notFound('No such tenant.');
      const { label, role = 'admin' } = request.body;
      const { key, stored } = await deps.tenants.createApiKey(tenantId, { label, role }, deps.clock.now());
      await deps.audit.record(tenantId, 'api_key.created', OPERATOR, { details: keyFacts(stored) });
      return reply.code(201).send({ tenantId, apiKey: key });
    },
  );
}

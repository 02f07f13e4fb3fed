import {
  ApiKeyList,
  ApiKeyParams,
  ApiKeyView,
  CreateApiKeyBody,
  CreatedApiKey,
  ErrorEnvelope,
} from '@uplink/contracts';
import { type Clock, conflict, type HttpApp, notFound } from '@uplink/kit';
import type { ApiKeyDocument, AuditRecorder, TenantStore } from '@uplink/store';

const DAY_MS = 24 * 60 * 60 * 1000;

function toApiKeyView(key: ApiKeyDocument): ApiKeyView {
  return {
    id: key.keyId,
    prefix: key.prefix,
    role: key.role,
    label: key.label,
    createdAt: key.createdAt.toISOString(),
    ...(key.expiresAt ? { expiresAt: key.expiresAt.toISOString() } : {}),
    ...(key.lastUsedAt ? { lastUsedAt: key.lastUsedAt.toISOString() } : {}),
    ...(key.revokedAt ? { revokedAt: key.revokedAt.toISOString() } : {}),
  };
}

/** What the audit log says of a key: which one, never the key. */
export function keyFacts(key: ApiKeyDocument): {
  keyId: string;
  prefix: string;
  role: string;
  label: string;
} {
  return { keyId: key.keyId, prefix: key.prefix, role: key.role, label: key.label };
}

/** The tenant's API keys, for its admins: create (the key shown once), list, revoke. */
export function apiKeyRoutes(
  app: HttpApp,
  deps: { tenants: TenantStore; audit: AuditRecorder; clock: Clock },
): void {
  const { tenants, audit, clock } = deps;

  app.post(
    '/v1/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Create an API key',
        description:
          "The answer holds the key, once: only its hash is stored. `integration` keys are for a helpdesk app's server side (links and agent sessions); `admin` keys can do everything.",
        tags: ['api keys'],
        body: CreateApiKeyBody,
        response: { 201: CreatedApiKey, 400: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      const { label, role, expiresInDays } = request.body;
      const { tenantId, actor } = request.principal;
      const now = clock.now();
      const { key, stored } = await tenants.createApiKey(
        tenantId,
        {
          label,
          role,
          ...(expiresInDays ? { expiresAt: new Date(now.getTime() + expiresInDays * DAY_MS) } : {}),
        },
        now,
      );
      await audit.record(tenantId, 'api_key.created', actor, { details: keyFacts(stored) });
      return reply.code(201).send({ ...toApiKeyView(stored), key });
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        summary: "The tenant's API keys",
        description: 'Oldest first, revoked ones included. Never the keys themselves.',
        tags: ['api keys'],
        response: { 200: ApiKeyList },
      },
    },
    async (request) => ({ keys: (await tenants.listApiKeys(request.principal.tenantId)).map(toApiKeyView) }),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Revoke an API key',
        description:
          'The key stops working at once on the replica that answers, and on the others within 10 seconds (each trusts a key it verified for that long). Revoking a revoked key changes nothing.',
        tags: ['api keys'],
        params: ApiKeyParams,
        response: { 200: ApiKeyView, 400: ErrorEnvelope, 404: ErrorEnvelope, 409: ErrorEnvelope },
      },
    },
    async (request) => {
      const { tenantId, keyId, actor } = request.principal;
      // The request's own key would lock its caller out mid-way: another admin revokes it.
      if (keyId === request.params.id) {
        throw conflict('conflict', 'This request is made with that key: revoke it with another admin key.');
      }
      const now = clock.now();
      const revoked = await tenants.revokeApiKey(tenantId, request.params.id, now);
      if (!revoked) throw notFound('No such API key.');
      // A key revoked before keeps its revokedAt: this call changed nothing, so no entry.
      if (revoked.revokedAt?.getTime() === now.getTime()) {
        await audit.record(tenantId, 'api_key.revoked', actor, { details: keyFacts(revoked) });
      }
      return toApiKeyView(revoked);
    },
  );
}

import { timingSafeEqual } from 'node:crypto';
import { hashSecret, unauthorized } from '@uplink/kit';
import type { TenantStore } from '@uplink/tenants';
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on authenticated routes: the tenant the API key belongs to. */
    tenantId: string;
  }
}

export const BEARER_SCHEME = {
  apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (upk_...).' },
} as const;

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

/** Every route registered in this scope requires `Authorization: Bearer <tenant API key>`. */
export function requireTenant(scope: FastifyInstance, tenants: TenantStore): void {
  scope.decorateRequest('tenantId', '');
  scope.addHook('onRequest', async (request) => {
    const key = bearerToken(request);
    if (!key) throw unauthorized('Send a tenant API key as "Authorization: Bearer <key>".');
    const tenantId = await tenants.tenantIdForKey(key);
    if (!tenantId) throw unauthorized('The API key is not valid.');
    request.tenantId = tenantId;
  });
}

/** The operator routes require the deployment's operator token. */
export function requireOperator(scope: FastifyInstance, operatorToken: string): void {
  const expected = Buffer.from(hashSecret(operatorToken));
  scope.addHook('onRequest', async (request) => {
    // Comparing hashes in constant time tells an attacker nothing about how close a guess was.
    const given = Buffer.from(hashSecret(bearerToken(request) ?? ''));
    if (!timingSafeEqual(given, expected)) throw unauthorized('The operator token is not valid.');
  });
}

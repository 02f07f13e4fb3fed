// Who may do what: every role against every route family, on the harness's adapters (MongoDB-wire
// and NATS, or the embedded SQLite ones), and the credentials' lifetimes and storage.
import { DatabaseSync } from 'node:sqlite';
import { type ErrorEnvelope, Subjects } from '@uplink/contracts';
import type { Store } from '@uplink/store';
import { MongoStore } from '@uplink/store/mongo';
import { bootstrapTenantId } from '@uplink/tenants';
import { eventually, streamMessages } from '@uplink/testing';
import { API_KEY, auth, type LinkServiceHarness, linkServiceHarness } from '@uplink/testing/link-service';
import { beforeAll, describe, expect, it } from 'vitest';

let h: LinkServiceHarness;
const tenantId = bootstrapTenantId(API_KEY);
const agent = { id: 'agent-42', name: 'Ada Agent', email: 'ada@acme.example' };
const ticket = { provider: 'freshdesk', id: 'roles-1' } as const;

/** The credentials of each role, by the name the table below uses. */
const credentials: Record<string, string> = {};

beforeAll(async () => {
  h = await linkServiceHarness();
  credentials.admin = API_KEY;
  credentials.integration = (
    await h.store.tenants.createApiKey(tenantId, { label: 'helpdesk app', role: 'integration' }, new Date())
  ).key;
  const minted = await h.service.app.inject({
    method: 'POST',
    url: '/v1/agent-sessions',
    headers: auth(credentials.integration),
    payload: { agent, source: 'freshdesk' },
  });
  expect(minted.statusCode).toBe(201);
  credentials.agent = minted.json().token;
  credentials['admin session'] = (
    await h.store.agentSessions.create(
      { tenantId, role: 'admin', agent, source: 'console', ttlMinutes: 60 },
      new Date(),
    )
  ).token;
});

type Call = { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: object };

async function call(credential: string, request: Call | (() => Promise<Call>)) {
  const { method, url, payload } = typeof request === 'function' ? await request() : request;
  return h.service.app.inject({ method, url, headers: auth(credential), ...(payload ? { payload } : {}) });
}

async function pendingLink(): Promise<string> {
  const res = await call(API_KEY, { method: 'POST', url: '/v1/links', payload: { ticket } });
  return res.json().id;
}

const families: { family: string; request: Call | (() => Promise<Call>); ok: number; roles: string[] }[] = [
  {
    family: 'ask who the credential is',
    request: { method: 'GET', url: '/v1/whoami' },
    ok: 200,
    roles: ['admin', 'integration', 'agent', 'admin session'],
  },
  {
    family: 'create a link',
    request: { method: 'POST', url: '/v1/links', payload: { ticket } },
    ok: 201,
    roles: ['admin', 'integration', 'agent', 'admin session'],
  },
  {
    family: "list a ticket's links",
    request: { method: 'GET', url: '/v1/tickets/freshdesk/roles-1/links' },
    ok: 200,
    roles: ['admin', 'integration', 'agent', 'admin session'],
  },
  {
    family: 'revoke a link',
    request: async () => ({ method: 'DELETE', url: `/v1/links/${await pendingLink()}` }),
    ok: 200,
    roles: ['admin', 'integration', 'agent', 'admin session'],
  },
  {
    family: "revoke a file's viewer links",
    request: async () => ({ method: 'DELETE', url: `/v1/links/${await pendingLink()}/file-links` }),
    ok: 200,
    roles: ['admin', 'integration', 'agent', 'admin session'],
  },
  {
    // Allowed, and answered: a pending link has no file yet.
    family: 'preview a file',
    request: async () => ({ method: 'GET', url: `/v1/links/${await pendingLink()}/file-url` }),
    ok: 404,
    roles: ['admin', 'integration', 'agent', 'admin session'],
  },
  {
    family: 'ask for a stream ticket',
    request: { method: 'POST', url: '/v1/stream-tickets', payload: { ticket } },
    ok: 201,
    roles: ['admin', 'integration', 'agent', 'admin session'],
  },
  {
    family: 'revoke an agent session',
    request: { method: 'DELETE', url: '/v1/agent-sessions/ses_AAAAAAAAAAAAAAAAAAAA' },
    ok: 404,
    roles: ['admin', 'integration', 'admin session'],
  },
  {
    family: 'revoke an API key',
    request: { method: 'DELETE', url: '/v1/api-keys/key_AAAAAAAAAAAAAAAAAAAA' },
    ok: 404,
    roles: ['admin', 'admin session'],
  },
  {
    family: 'start an agent session',
    request: {
      method: 'POST',
      url: '/v1/agent-sessions',
      payload: { agent, source: 'twilio-flex', ttlMinutes: 5 },
    },
    ok: 201,
    roles: ['admin', 'integration', 'admin session'],
  },
  {
    family: 'read settings',
    request: { method: 'GET', url: '/v1/settings' },
    ok: 200,
    roles: ['admin', 'integration', 'admin session'],
  },
  {
    family: 'change settings',
    request: { method: 'PUT', url: '/v1/settings', payload: { companyName: 'Acme' } },
    ok: 200,
    roles: ['admin', 'admin session'],
  },
  {
    family: 'list API keys',
    request: { method: 'GET', url: '/v1/api-keys' },
    ok: 200,
    roles: ['admin', 'admin session'],
  },
  {
    family: 'create an API key',
    request: { method: 'POST', url: '/v1/api-keys', payload: { label: 'ci', role: 'integration' } },
    ok: 201,
    roles: ['admin', 'admin session'],
  },
  {
    family: 'read the audit log',
    request: { method: 'GET', url: '/v1/audit' },
    ok: 200,
    roles: ['admin', 'admin session'],
  },
  {
    family: 'check the audit chain',
    request: { method: 'GET', url: '/v1/audit/verify' },
    ok: 200,
    roles: ['admin', 'admin session'],
  },
  {
    family: 'change destinations',
    request: { method: 'PUT', url: '/v1/settings', payload: { destinations: { webhook: null } } },
    ok: 200,
    roles: ['admin', 'admin session'],
  },
];

describe('each role against each route family', () => {
  const cases = families.flatMap(({ family, request, ok, roles }) =>
    ['admin', 'integration', 'agent', 'admin session'].map((role) => ({
      family,
      request,
      role,
      expected: roles.includes(role) ? ok : 403,
    })),
  );

  it.each(cases)('$role: $family -> $expected', async ({ request, role, expected }) => {
    const res = await call(credentials[role] ?? '', request);
    expect(res.statusCode).toBe(expected);
    if (expected !== 403) return;
    const { error } = res.json() as ErrorEnvelope;
    expect(error.code).toBe('forbidden');
    expect(error.message).toMatch(
      /^Only the role (admin|admin or integration) may do this \(.+\); this credential has the role (agent|integration)\.$/,
    );
  });
});

describe('agent sessions', () => {
  it('answer 401 once revoked, and only their own tenant revokes them', async () => {
    const minted = await call(credentials.integration ?? '', {
      method: 'POST',
      url: '/v1/agent-sessions',
      payload: { agent, source: 'freshdesk' },
    });
    const { id, token, expiresAt } = minted.json();
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    const list = { method: 'GET', url: '/v1/tickets/freshdesk/roles-1/links' } as const;
    expect((await call(token, list)).statusCode).toBe(200);

    const revoke = { method: 'DELETE', url: `/v1/agent-sessions/${id}` } as const;
    expect((await call(token, revoke)).statusCode).toBe(403);
    expect((await call(credentials.integration ?? '', revoke)).statusCode).toBe(204);
    const refused = await call(token, list);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error).toStrictEqual({
      code: 'unauthorized',
      message: 'The agent session is not valid: unknown, expired or revoked.',
    });
    expect((await call(credentials.integration ?? '', revoke)).statusCode).toBe(404);
  });

  it('answer 401 from their expiry on (the service clock)', async () => {
    const clock = { ms: Date.now(), now: () => new Date(clock.ms) };
    const service = await h.build({ clock });
    const minted = await service.app.inject({
      method: 'POST',
      url: '/v1/agent-sessions',
      headers: auth(credentials.integration),
      payload: { agent, source: 'freshdesk', ttlMinutes: 10 },
    });
    const { token } = minted.json();
    const list = () =>
      service.app.inject({ url: '/v1/tickets/freshdesk/roles-1/links', headers: auth(token) });
    clock.ms += 10 * 60_000 - 1;
    expect((await list()).statusCode).toBe(200);
    clock.ms += 1;
    expect((await list()).statusCode).toBe(401);
  });

  it('refuse a lifetime over 12 hours', async () => {
    const res = await call(credentials.integration ?? '', {
      method: 'POST',
      url: '/v1/agent-sessions',
      payload: { agent, source: 'freshdesk', ttlMinutes: 12 * 60 + 1 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
  });
});

describe('API keys', () => {
  it('stop working at their expiry (the service clock), though verified a moment before', async () => {
    const clock = { ms: Date.now(), now: () => new Date(clock.ms) };
    const service = await h.build({ clock });
    const { key } = await h.store.tenants.createApiKey(
      tenantId,
      { label: 'expiring', role: 'integration', expiresAt: new Date(clock.ms + 60_000) },
      clock.now(),
    );
    const list = () => service.app.inject({ url: '/v1/tickets/freshdesk/roles-1/links', headers: auth(key) });
    clock.ms += 60_000 - 1;
    expect((await list()).statusCode).toBe(200);
    clock.ms += 1;
    const refused = await list();
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.message).toBe('The API key is not valid: unknown, expired or revoked.');
  });
});

describe('the key management API', () => {
  const admin = (request: Call) => call(API_KEY, request);

  it('shows a new key once, lists it without the key, and the key has the role it was given', async () => {
    const created = await admin({
      method: 'POST',
      url: '/v1/api-keys',
      payload: { label: 'Freshdesk app', role: 'integration' },
    });
    expect(created.statusCode).toBe(201);
    const { key, ...view } = created.json();
    expect(key).toMatch(/^upk_[A-Za-z0-9_-]{43}$/);
    expect(view).toStrictEqual({
      id: expect.stringMatching(/^key_[A-Za-z0-9]{20}$/),
      prefix: key.slice(0, 12),
      role: 'integration',
      label: 'Freshdesk app',
      createdAt: expect.any(String),
    });
    expect((await call(key, { method: 'GET', url: '/v1/settings' })).statusCode).toBe(200);
    expect(
      (await call(key, { method: 'PUT', url: '/v1/settings', payload: { companyName: 'X' } })).statusCode,
    ).toBe(403);

    const listed = await admin({ method: 'GET', url: '/v1/api-keys' });
    expect(listed.body).not.toContain(key.slice(4));
    const keys = listed.json().keys as { id: string; lastUsedAt?: string; label: string; role: string }[];
    expect(keys.find((k) => k.id === view.id)).toMatchObject({ ...view, lastUsedAt: expect.any(String) });
    expect(keys.find((k) => k.label === 'bootstrap')).toMatchObject({ role: 'admin', prefix: 'upk_' });
  });

  it('revokes a key: refused at once though this process verified it a moment ago', async () => {
    const { key, id } = (
      await admin({ method: 'POST', url: '/v1/api-keys', payload: { label: 'leaked', role: 'admin' } })
    ).json();
    expect((await call(key, { method: 'GET', url: '/v1/api-keys' })).statusCode).toBe(200);
    const revoked = await admin({ method: 'DELETE', url: `/v1/api-keys/${id}` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id, revokedAt: expect.any(String) });
    const refused = await call(key, { method: 'GET', url: '/v1/api-keys' });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.message).toBe('The API key is not valid: unknown, expired or revoked.');
    expect((await admin({ method: 'DELETE', url: '/v1/api-keys/key_AAAAAAAAAAAAAAAAAAAA' })).statusCode).toBe(
      404,
    );
  });

  it('does not let a key revoke itself', async () => {
    const { key, id } = (
      await admin({ method: 'POST', url: '/v1/api-keys', payload: { label: 'self', role: 'admin' } })
    ).json();
    const res = await call(key, { method: 'DELETE', url: `/v1/api-keys/${id}` });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toBe(
      'This request is made with that key: revoke it with another admin key.',
    );
    expect((await call(key, { method: 'GET', url: '/v1/api-keys' })).statusCode).toBe(200);
  });

  it('makes a key that stops working after the days it was given (the service clock)', async () => {
    const clock = { ms: Date.now(), now: () => new Date(clock.ms) };
    const service = await h.build({ clock });
    const created = await service.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: auth(),
      payload: { label: 'contractor', role: 'integration', expiresInDays: 2 },
    });
    const { key, expiresAt } = created.json();
    expect(Date.parse(expiresAt)).toBe(clock.ms + 2 * 24 * 3600_000);
    const list = () => service.app.inject({ url: '/v1/tickets/freshdesk/roles-1/links', headers: auth(key) });
    clock.ms += 2 * 24 * 3600_000 - 1;
    expect((await list()).statusCode).toBe(200);
    clock.ms += 1;
    expect((await list()).statusCode).toBe(401);
  });
});

describe('who did it', () => {
  it('a link records who created and who revoked it: in its view, the ticket list and its events', async () => {
    const created = await call(credentials.agent ?? '', {
      method: 'POST',
      url: '/v1/links',
      payload: { ticket: { provider: 'freshdesk', id: 'who-did-it' } },
    });
    const { id } = created.json();
    const agentActor = { kind: 'agent', ...agent, source: 'freshdesk' };
    expect(created.json().createdBy).toStrictEqual(agentActor);

    const integrationPrefix = (credentials.integration ?? '').slice(0, 12);
    const revoked = await call(credentials.integration ?? '', { method: 'DELETE', url: `/v1/links/${id}` });
    const keyActor = { kind: 'api_key', keyPrefix: integrationPrefix, label: 'helpdesk app' };
    expect(revoked.json()).toMatchObject({ status: 'revoked', createdBy: agentActor, revokedBy: keyActor });

    const read = await call(API_KEY, { method: 'GET', url: `/v1/links/${id}` });
    expect(read.json()).toMatchObject({ createdBy: agentActor, revokedBy: keyActor });
    const list = await call(API_KEY, { method: 'GET', url: '/v1/tickets/freshdesk/who-did-it/links' });
    expect(list.json().links).toMatchObject([{ id, createdBy: agentActor, revokedBy: keyActor }]);

    const published = async (subject: string) =>
      eventually(`${subject} published`, async () =>
        (await streamMessages(h.bus, subject)).find((m) => (m.json() as { linkId: string }).linkId === id),
      );
    expect((await published(Subjects.linkCreated)).json()).toMatchObject({ data: { createdBy: agentActor } });
    expect((await published(Subjects.linkRevoked)).json()).toMatchObject({ data: { revokedBy: keyActor } });
  });
});

/** Every stored row or document of a table / collection, as text, read past the store's code. */
async function storedText(store: Store, name: 'api_keys' | 'agent_sessions'): Promise<string> {
  if (store instanceof MongoStore) {
    return JSON.stringify(await store.mongo.db.collection(name).find({}).toArray());
  }
  const raw = new DatabaseSync(store.location, { readOnly: true });
  try {
    return JSON.stringify(raw.prepare(`SELECT * FROM ${name}`).all());
  } finally {
    raw.close();
  }
}

describe('credentials at rest', () => {
  it('are stored as hashes only: no key or session token appears in what is stored', async () => {
    const keys = await storedText(h.store, 'api_keys');
    const sessions = await storedText(h.store, 'agent_sessions');
    expect(keys).toContain(tenantId);
    expect(sessions).toContain(agent.id);
    for (const credential of Object.values(credentials)) {
      const secretPart = credential.slice(4);
      expect(keys).not.toContain(secretPart);
      expect(sessions).not.toContain(secretPart);
    }
  });
});

describe('the OpenAPI document', () => {
  it('names the security schemes and, for each /v1 operation, the roles it needs and its 403', async () => {
    const doc = (await h.service.app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(doc.components.securitySchemes)).toStrictEqual([
      'apiKey',
      'agentSession',
      'operatorToken',
      'streamTicket',
    ]);
    const operations = Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
      );
    expect(operations.length).toBeGreaterThan(8);
    for (const { path, method, operation } of operations) {
      const roles = operation['x-uplink-roles'] as string[];
      expect(roles, `${method} ${path}`).toContain('admin');
      expect((operation.description as string).split('Roles:'), `${method} ${path}`).toHaveLength(2);
      expect(operation.description, `${method} ${path}`).toMatch(
        new RegExp(`Roles: ${roles.join(', ')}\\.$`),
      );
      // Stream tickets open the live stream only.
      const streamTicket = path.endsWith('/links/stream') ? [{ streamTicket: [] }] : [];
      expect(operation.security, `${method} ${path}`).toStrictEqual([
        { apiKey: [] },
        { agentSession: [] },
        ...streamTicket,
      ]);
      expect(Object.keys(operation.responses as object)).toContain('403');
    }
    expect(doc.paths['/v1/settings'].put['x-uplink-roles']).toStrictEqual(['admin']);
    expect(doc.paths['/v1/links'].post['x-uplink-roles']).toStrictEqual(['admin', 'integration', 'agent']);
    // The operator routes take the operator token, and no tenant role.
    for (const path of ['/admin/tenants', '/admin/tenants/{tenantId}/keys']) {
      expect(doc.paths[path].post.security).toStrictEqual([{ operatorToken: [] }]);
      expect(doc.paths[path].post['x-uplink-roles']).toStrictEqual(['operator']);
      expect(doc.paths[path].post.description).toMatch(/Roles: operator\.$/);
    }
  });
});

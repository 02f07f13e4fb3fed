// The audit log through link-service: each action the tenant API takes leaves exactly one entry
// naming who did it, admins read it (filtered, paged, as NDJSON) and check its chain, and an entry
// changed or deleted in the database makes the check fail naming it. On the harness's adapters
// (MongoDB-wire and NATS, or the embedded SQLite ones).
import { DatabaseSync } from 'node:sqlite';
import type { Actor, AuditAction, AuditEntryView, UploadedFile } from '@uplink/contracts';
import { type Service, systemClock } from '@uplink/kit';
import type { Store } from '@uplink/store';
import { MongoStore } from '@uplink/store/mongo';
import { bootstrapTenantId } from '@uplink/tenants';
import {
  API_KEY,
  auth,
  type LinkServiceHarness,
  linkServiceHarness,
  OPERATOR_TOKEN,
  OTHER_API_KEY,
} from '@uplink/testing/link-service';
import { uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, it } from 'vitest';

let h: LinkServiceHarness;
const tenantId = bootstrapTenantId(API_KEY);
const agent = { id: 'agent-audit', name: 'Ada Agent', email: 'ada@acme.example' };
let admin: Actor;
let integrationKey: string;
let integration: Actor;

type Inject = { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: object; key?: string };

async function call({ method = 'GET', url, payload, key = API_KEY }: Inject, service: Service = h.service) {
  return service.app.inject({ method, url, headers: auth(key), ...(payload ? { payload } : {}) });
}

/** The tenant's entries for `action` (and `linkId`), newest first, as GET /v1/audit lists them. */
async function entries(action: AuditAction, linkId?: string): Promise<AuditEntryView[]> {
  const query = new URLSearchParams({ action, ...(linkId ? { linkId } : {}) });
  const res = await call({ url: `/v1/audit?${query}` });
  expect(res.statusCode).toBe(200);
  return res.json().entries;
}

/** Runs `act` and returns the one entry of `action` it added. */
async function oneEntryOf(action: AuditAction, act: () => Promise<unknown>, linkId?: string) {
  const before = await entries(action, linkId);
  await act();
  const after = await entries(action, linkId);
  expect(after).toHaveLength(before.length + 1);
  return after[0] as AuditEntryView;
}

async function createLink(key = API_KEY): Promise<{ id: string; createdBy: Actor }> {
  const res = await call({
    method: 'POST',
    url: '/v1/links',
    payload: { ticket: { provider: 'freshdesk', id: 'A-1' } },
    key,
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}

/** Starts an agent session with the integration key, as a helpdesk app does. */
async function startAgentSession(source = 'freshdesk'): Promise<{ id: string; token: string }> {
  const res = await call({
    method: 'POST',
    url: '/v1/agent-sessions',
    payload: { agent, source },
    key: integrationKey,
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}

beforeAll(async () => {
  h = await linkServiceHarness();
  admin = (await createLink()).createdBy;
  const created = await call({
    method: 'POST',
    url: '/v1/api-keys',
    payload: { label: 'helpdesk app', role: 'integration' },
  });
  integrationKey = created.json().key;
  integration = (await createLink(integrationKey)).createdBy;
});

describe('each action leaves exactly one entry naming who did it', () => {
  it('link created and revoked, by an API key and by an agent', async () => {
    const agentToken = (await startAgentSession()).token;
    let linkId = '';
    const created = await oneEntryOf('link.created', async () => {
      linkId = (await createLink(agentToken)).id;
    });
    expect(created).toMatchObject({
      action: 'link.created',
      linkId,
      actor: { kind: 'agent', ...agent, source: 'freshdesk' },
      details: { ticket: 'freshdesk:A-1', validityHours: 2 },
    });
    const revoked = await oneEntryOf(
      'link.revoked',
      () => call({ method: 'DELETE', url: `/v1/links/${linkId}` }),
      linkId,
    );
    expect(revoked).toMatchObject({ linkId, actor: admin });
    // A refused revoke (the link is no longer pending) changes nothing and records nothing.
    expect((await call({ method: 'DELETE', url: `/v1/links/${linkId}` })).statusCode).toBe(409);
    expect(await entries('link.revoked', linkId)).toHaveLength(1);
  });

  it('settings and destinations changed: which fields, never their values', async () => {
    const settings = await oneEntryOf('settings.changed', () =>
      call({
        method: 'PUT',
        url: '/v1/settings',
        payload: {
          companyName: 'Secretly Named Co',
          mediaPolicy: { categories: { audio: { maxBytes: 1_000_000 } } },
        },
      }),
    );
    expect(settings).toMatchObject({
      actor: admin,
      details: { fields: ['companyName', 'mediaPolicy.categories.audio.maxBytes'] },
    });
    const destinations = await oneEntryOf('destinations.changed', () =>
      call({
        method: 'PUT',
        url: '/v1/settings',
        payload: {
          destinations: {
            webhook: { url: 'https://hooks.example.com/uplink', secret: 'whsec-value-1234567890' },
          },
        },
      }),
    );
    expect(destinations).toMatchObject({
      actor: admin,
      details: { fields: ['webhook.url', 'webhook.secret'] },
    });
    const text = JSON.stringify([settings, destinations]);
    expect(text).not.toContain('Secretly');
    expect(text).not.toContain('whsec-value');
    expect(text).not.toContain('hooks.example.com');
  });

  it('API keys created and revoked, by an admin and by the operator', async () => {
    let keyId = '';
    const created = await oneEntryOf('api_key.created', async () => {
      keyId = (
        await call({ method: 'POST', url: '/v1/api-keys', payload: { label: 'ci', role: 'admin' } })
      ).json().id;
    });
    expect(created).toMatchObject({ actor: admin, details: { keyId, role: 'admin', label: 'ci' } });
    expect(JSON.stringify(created)).not.toMatch(/upk_[A-Za-z0-9_-]{20}/);
    const revoked = await oneEntryOf('api_key.revoked', () =>
      call({ method: 'DELETE', url: `/v1/api-keys/${keyId}` }),
    );
    expect(revoked).toMatchObject({ actor: admin, details: { keyId } });
    // Revoking it again changes nothing.
    expect((await call({ method: 'DELETE', url: `/v1/api-keys/${keyId}` })).statusCode).toBe(200);
    expect((await entries('api_key.revoked')).filter((entry) => entry.details.keyId === keyId)).toHaveLength(
      1,
    );

    const byOperator = await oneEntryOf('api_key.created', () =>
      h.service.app.inject({
        method: 'POST',
        url: `/admin/tenants/${tenantId}/keys`,
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
        payload: { label: 'from the operator' },
      }),
    );
    expect(byOperator).toMatchObject({
      actor: { kind: 'system', name: 'operator' },
      details: { label: 'from the operator' },
    });
  });

  it('agent sessions created and revoked, by an integration key', async () => {
    let sessionId = '';
    const created = await oneEntryOf('agent_session.created', async () => {
      sessionId = (await startAgentSession('twilio-flex')).id;
    });
    expect(created).toMatchObject({
      actor: integration,
      details: { sessionId, agentId: agent.id, source: 'twilio-flex', ttlMinutes: 60 },
    });
    expect(JSON.stringify(created)).not.toContain('ups_');
    const revoked = await oneEntryOf('agent_session.revoked', () =>
      call({ method: 'DELETE', url: `/v1/agent-sessions/${sessionId}`, key: integrationKey }),
    );
    expect(revoked).toMatchObject({ actor: integration, details: { sessionId } });
  });

  it('a file previewed, and its viewer links revoked, by whoever asked', async () => {
    const gateway = await uploadGatewayHarness({ infra: h.infra });
    const withStorage = await h.build({ storage: gateway.storage, clock: systemClock });
    const { id: linkId } = await createLink();
    const bytes = Buffer.from('a voice message');
    const uploaded = await gateway.container.getBlockBlobClient('audit-voice').upload(bytes, bytes.length);
    const pending = await h.store.links.getById(linkId);
    if (!pending) throw new Error('link not stored');
    const file: UploadedFile = {
      uploadId: 'upl_AUDITAUDITAUDITAUDIT',
      kind: 'audio',
      category: 'audio',
      fileName: 'voice.webm',
      contentType: 'audio/webm',
      size: bytes.length,
      container: gateway.container.containerName,
      blobName: 'audit-voice',
      etag: uploaded.etag ?? '',
    };
    await h.store.links.markReceived(pending, { files: [file] }, new Date());
    const previewed = await oneEntryOf(
      'file.previewed',
      async () =>
        expect(
          (await call({ url: `/v1/links/${linkId}/file-url`, key: integrationKey }, withStorage)).statusCode,
        ).toBe(200),
      linkId,
    );
    expect(previewed).toMatchObject({ linkId, actor: integration, details: { fileName: 'voice.webm' } });

    await h.store.shares.create({ tenantId, linkId, file, ttlMs: 60_000, now: new Date() });
    const revoked = await oneEntryOf(
      'viewer_link.revoked',
      () => call({ method: 'DELETE', url: `/v1/links/${linkId}/file-links` }),
      linkId,
    );
    expect(revoked).toMatchObject({ linkId, actor: admin, details: { revoked: 1 } });
    // Nothing left to revoke: no entry.
    await call({ method: 'DELETE', url: `/v1/links/${linkId}/file-links` });
    expect(await entries('viewer_link.revoked', linkId)).toHaveLength(1);
  });
});

describe('GET /v1/links/{id}/history', () => {
  it("is the link's entries, oldest first, for whoever may see the link, and 404 for another tenant", async () => {
    const agentToken = (await startAgentSession()).token;
    const { id } = await createLink(agentToken);
    await call({ method: 'DELETE', url: `/v1/links/${id}` });
    const res = await call({ url: `/v1/links/${id}/history`, key: agentToken });
    expect(res.statusCode).toBe(200);
    expect(res.json().entries.map(({ action, actor }: AuditEntryView) => [action, actor.kind])).toStrictEqual(
      [
        ['link.created', 'agent'],
        ['link.revoked', 'api_key'],
      ],
    );
    const foreign = await call({ url: `/v1/links/${id}/history`, key: OTHER_API_KEY });
    expect(foreign.statusCode).toBe(404);
  });
});

describe('GET /v1/audit', () => {
  it('is for admins only', async () => {
    for (const url of ['/v1/audit', '/v1/audit/export', '/v1/audit/verify']) {
      const res = await call({ url, key: integrationKey });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
  });

  it('filters by actor and time, pages with a cursor, and exports NDJSON', async () => {
    const from = new Date().toISOString();
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await createLink(integrationKey)).id);
    const actor = `api_key:${integration.kind === 'api_key' ? integration.keyPrefix : ''}`;
    const query = `actor=${encodeURIComponent(actor)}&from=${encodeURIComponent(from)}&action=link.created`;
    const first = (await call({ url: `/v1/audit?${query}&limit=2` })).json();
    expect(first.entries.map((entry: AuditEntryView) => entry.linkId)).toStrictEqual([made[2], made[1]]);
    const second = (await call({ url: `/v1/audit?${query}&limit=2&cursor=${first.nextCursor}` })).json();
    expect(second.entries.map((entry: AuditEntryView) => entry.linkId)).toStrictEqual([made[0]]);
    expect(second.nextCursor).toBeUndefined();

    for (const request of [
      { url: `/v1/audit/export?${query}`, headers: auth() },
      { url: `/v1/audit?${query}`, headers: { ...auth(), accept: 'application/x-ndjson' } },
    ]) {
      const res = await h.service.app.inject(request);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = res.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as AuditEntryView);
      expect(lines.map((entry) => entry.linkId)).toStrictEqual([made[2], made[1], made[0]]);
    }
  });
});

/** Changes the entry behind the store's back, as someone with access to the database could. */
async function inDatabase(store: Store, seq: number, change: 'alter' | 'delete'): Promise<void> {
  if (store instanceof MongoStore) {
    const entries = store.mongo.db.collection('audit_entries');
    if (change === 'alter')
      await entries.updateOne({ tenantId, seq }, { $set: { 'details.ticket': 'freshdesk:forged' } });
    else await entries.deleteOne({ tenantId, seq });
    return;
  }
  const raw = new DatabaseSync(store.location);
  try {
    raw
      .prepare(
        change === 'alter'
          ? `UPDATE audit_entries SET doc = json_set(doc, '$.details.ticket', 'freshdesk:forged') WHERE tenant_id = ? AND seq = ?`
          : 'DELETE FROM audit_entries WHERE tenant_id = ? AND seq = ?',
      )
      .run(tenantId, seq);
  } finally {
    raw.close();
  }
}

// Last: it breaks the tenant's chain for good.
describe('GET /v1/audit/verify', () => {
  it('answers ok, then names an entry altered in the database, then one deleted before it', async () => {
    const verify = async () => (await call({ url: '/v1/audit/verify' })).json();
    const good = await verify();
    expect(good).toMatchObject({ ok: true, from: 1 });
    expect(good.checked).toBeGreaterThan(10);
    const [newest] = await entries('link.created');
    if (!newest) throw new Error('no link.created entry');

    await inDatabase(h.store, newest.seq, 'alter');
    expect(await verify()).toStrictEqual({
      ok: false,
      checked: newest.seq - 1,
      from: 1,
      firstBroken: {
        seq: newest.seq,
        reason: `entry ${newest.seq} was altered: its hash does not match its content`,
      },
    });

    await inDatabase(h.store, 3, 'delete');
    expect(await verify()).toStrictEqual({
      ok: false,
      checked: 2,
      from: 1,
      firstBroken: { seq: 3, reason: 'entry 3 missing (deleted): entry 4 follows entry 2' },
    });
  });
});

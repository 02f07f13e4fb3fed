import { createHash } from 'node:crypto';
import { defaultMediaPolicy, Subjects, validateEvent } from '@uplink/contracts';
import { hashSecret } from '@uplink/kit';
import type { LinkDocument } from '@uplink/links';
import { MongoFileShareStore } from '@uplink/store/mongo';
import { bootstrapTenantId } from '@uplink/tenants';
import { eventually, itOnServers, streamMessages } from '@uplink/testing';
import {
  API_KEY,
  auth,
  type LinkServiceHarness,
  linkServiceHarness,
  OPERATOR_TOKEN,
  OTHER_API_KEY,
} from '@uplink/testing/link-service';
import { beforeAll, describe, expect, it } from 'vitest';

let h: LinkServiceHarness;
beforeAll(async () => {
  h = await linkServiceHarness();
});

const ticket = { provider: 'freshdesk', id: '4711' } as const;

async function createLink(body: object = { ticket }, key = API_KEY) {
  return h.service.app.inject({ method: 'POST', url: '/v1/links', headers: auth(key), payload: body });
}

describe('POST /v1/links', () => {
  it('creates a pending link with the customer URL and the pre-written reply', async () => {
    const res = await createLink({
      ticket,
      contextMessage: 'A photo of the broken part, please',
      validityHours: 4,
    });
    expect(res.statusCode).toBe(201);
    const link = res.json();
    expect(link).toMatchObject({
      ticket,
      status: 'pending',
      validityHours: 4,
      contextMessage: 'A photo of the broken part, please',
    });
    expect(link.id).toMatch(/^lnk_[A-Za-z0-9]{20}$/);
    expect(link.shortId).toMatch(/^[0-9a-f]{4}$/);
    expect(link.url).toMatch(/^https:\/\/uploads\.example\.com\/u\/[A-Za-z0-9_-]{43}$/);
    expect(link.replyText).toBe(
      `Please use this link to share a file with us: ${link.url}. It expires in 4 hours.`,
    );
    const lifetime = Date.parse(link.expiresAt) - Date.parse(link.createdAt);
    expect(lifetime).toBe(4 * 3600_000);
    expect(link.expiresInSeconds).toBeGreaterThan(4 * 3600 - 5);
    expect(res.headers.location).toBe(`/v1/links/${link.id}`);
  });

  it("uses the tenant's default validity, 2 hours out of the box", async () => {
    const link = (await createLink()).json();
    expect(link.validityHours).toBe(2);
    expect(link.replyText).toMatch(/It expires in 2 hours\.$/);
  });

  it('builds the URL from configuration, never from the Host header', async () => {
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/v1/links',
      headers: { ...auth(), host: 'evil.example.net', 'x-forwarded-host': 'evil.example.net' },
      payload: { ticket },
    });
    expect(res.json().url).toMatch(/^https:\/\/uploads\.example\.com\/u\//);
  });

  it('stores the SHA-256 of the token, never the token', async () => {
    const link = (await createLink()).json();
    const token = link.url.split('/').pop() as string;
    const doc = await h.store.links.getById(link.id);
    expect(doc?.tokenHash).toBe(createHash('sha256').update(token).digest('base64url'));
    expect(JSON.stringify(doc)).not.toContain(token);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('publishes one valid link.created event through the outbox', async () => {
    const link = (await createLink()).json();
    const message = await eventually('link.created published', async () => {
      const all = await streamMessages(h.bus, Subjects.linkCreated);
      return all.find((m) => (m.json() as { linkId: string }).linkId === link.id);
    });
    expect(validateEvent(Subjects.linkCreated, message.json()).ok).toBe(true);
    // Published with the transition's id as its msg id: the same id again is a duplicate.
    const again = await h.bus.publish(Subjects.linkCreated, message.data, {
      msgId: `${link.id}:link.created`,
    });
    expect(again.duplicate).toBe(true);
    await eventually(
      'outbox emptied',
      async () => (await h.store.links.outbox.entries(link.id)).length === 0,
    );
  });

  it.each([
    [{}, 'body/ticket is required'],
    [
      { ticket: { provider: 'zendesk', id: '1' } },
      'body/ticket/provider must be equal to one of the allowed values',
    ],
    [
      { ticket, validityHours: 3 },
      'body/validityHours must be equal to one of the allowed values (1, 2, 4, 8, 24)',
    ],
    [{ ticket: { provider: 'freshdesk', id: '../etc' } }, 'body/ticket/id must match pattern'],
    [
      { ticket, contextMessage: 'x'.repeat(1001) },
      'body/contextMessage must NOT have more than 1000 characters',
    ],
    [{ ticket, surprise: true }, 'body/surprise is not a known field'],
  ])('rejects %j with 400 naming the field', async (body, message) => {
    const res = await createLink(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    expect(res.json().error.message).toContain(message);
  });

  it('rejects malformed JSON with a 400 envelope', async () => {
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/v1/links',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: '{"ticket": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });
});

describe('authentication', () => {
  it.each([
    ['no header', {}],
    ['an unknown key', auth('upk_not_a_real_key_000000000000000000')],
    ['a non-bearer scheme', { authorization: `Basic ${API_KEY}` }],
  ])('answers 401 for %s', async (_what, headers) => {
    const res = await h.service.app.inject({ method: 'GET', url: '/v1/settings', headers });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });
});

describe('reading links', () => {
  it('gets a link by id, and 404s for an unknown id', async () => {
    const created = (await createLink()).json();
    const res = await h.service.app.inject({ url: `/v1/links/${created.id}`, headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: created.id, status: 'pending' });
    expect(res.json().url).toBeUndefined();
    const missing = await h.service.app.inject({
      url: '/v1/links/lnk_AAAAAAAAAAAAAAAAAAAA',
      headers: auth(),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it("answers 404, not 403, for another tenant's link", async () => {
    const created = (await createLink()).json();
    const get = await h.service.app.inject({ url: `/v1/links/${created.id}`, headers: auth(OTHER_API_KEY) });
    expect(get.statusCode).toBe(404);
    const del = await h.service.app.inject({
      method: 'DELETE',
      url: `/v1/links/${created.id}`,
      headers: auth(OTHER_API_KEY),
    });
    expect(del.statusCode).toBe(404);
    const list = await h.service.app.inject({
      url: `/v1/tickets/freshdesk/4711/links`,
      headers: auth(OTHER_API_KEY),
    });
    expect(list.json().links).toEqual([]);
  });

  it("lists a ticket's links newest first", async () => {
    const t = { provider: 'twilio-flex', id: 'WT0123' } as const;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createLink({ ticket: t })).json().id);
    const res = await h.service.app.inject({ url: '/v1/tickets/twilio-flex/WT0123/links', headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(res.json().links.map((l: { id: string }) => l.id)).toEqual(ids.reverse());
  });

  it("lists at most `limit` of a ticket's links, and names a bad limit", async () => {
    const t = { provider: 'webhook', id: 'limit-1' } as const;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createLink({ ticket: t })).json().id);
    const list = (query: string) =>
      h.service.app.inject({ url: `/v1/tickets/webhook/limit-1/links?${query}`, headers: auth() });
    const two = await list('limit=2');
    expect(two.statusCode).toBe(200);
    expect(two.json().links.map((l: { id: string }) => l.id)).toEqual(ids.reverse().slice(0, 2));
    for (const bad of ['limit=0', 'limit=201', 'limit=two', 'limit=1.5']) {
      const res = await list(bad);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'invalid_request',
        message: expect.stringContaining('limit'),
      });
    }
  });

  it('takes a JSON body as it is: a number in a string is not a number', async () => {
    const res = await createLink({ ticket: { provider: 'webhook', id: 'strict-1' }, validityHours: '4' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('validityHours');
  });

  it('reads a pending link past expiresAt as expired at once, before any scheduler runs', async () => {
    // Stored pending with an expiresAt already past, as a link is once its time ran out.
    const { link: created } = await h.store.links.create({
      tenantId: bootstrapTenantId(API_KEY),
      ticket: { provider: 'webhook', id: 'exp-1' },
      validityHours: 1,
      now: new Date(Date.now() - 60 * 60 * 1000),
      expiresAt: new Date(Date.now() - 1000),
    });
    const one = await h.service.app.inject({ url: `/v1/links/${created._id}`, headers: auth() });
    expect(one.json().status).toBe('expired');
    expect(one.json().expiresInSeconds).toBeUndefined();
    const list = await h.service.app.inject({ url: '/v1/tickets/webhook/exp-1/links', headers: auth() });
    expect(list.json().links[0].status).toBe('expired');
    const stored = await h.store.links.getById(created._id);
    expect(stored?.status).toBe('pending');
    const revoke = await h.service.app.inject({
      method: 'DELETE',
      url: `/v1/links/${created._id}`,
      headers: auth(),
    });
    expect(revoke.statusCode).toBe(409);
    expect(revoke.json().error).toEqual({
      code: 'link_not_pending',
      message: 'The link is expired; only pending links can be revoked.',
    });
  });
});

describe('DELETE /v1/links/:id', () => {
  it('revokes a pending link once and publishes link.revoked', async () => {
    const created = (await createLink()).json();
    const res = await h.service.app.inject({
      method: 'DELETE',
      url: `/v1/links/${created.id}`,
      headers: auth(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: created.id, status: 'revoked' });
    const again = await h.service.app.inject({
      method: 'DELETE',
      url: `/v1/links/${created.id}`,
      headers: auth(),
    });
    expect(again.statusCode).toBe(409);
    await eventually('link.revoked published', async () => {
      return (await h.store.links.outbox.entries(created.id)).length === 0;
    });
    const events = (await streamMessages(h.bus, Subjects.linkRevoked)).filter(
      (m) => (m.json() as { linkId: string }).linkId === created.id,
    );
    expect(events).toHaveLength(1);
  });

  it('lets exactly one of many concurrent revokes win, with one link.revoked', async () => {
    const created = (await createLink()).json();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.service.app.inject({ method: 'DELETE', url: `/v1/links/${created.id}`, headers: auth() }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, ...Array(9).fill(409)]);
    await eventually('outbox drained', async () => {
      return (await h.store.links.outbox.entries(created.id)).length === 0;
    });
    const events = (await streamMessages(h.bus, Subjects.linkRevoked)).filter(
      (m) => (m.json() as { linkId: string }).linkId === created.id,
    );
    expect(events).toHaveLength(1);
  });
});

describe('DELETE /v1/links/:id/file-links', () => {
  const file = (uploadId: string) =>
    ({
      uploadId,
      kind: 'file',
      category: 'document',
      fileName: 'label.pdf',
      contentType: 'application/pdf',
      size: 1234,
      container: 'uplink-uploads',
      blobName: `blob-${uploadId}`,
      etag: '"0x1"',
    }) as const;

  it("revokes every working viewer link of the link's file, tenant-scoped", async () => {
    const { shares } = h.store;
    const created = (await createLink()).json();
    const other = (await createLink()).json();
    const tenantId = (await h.store.links.getById(created.id))?.tenantId as string;
    const now = new Date();
    const share = (linkId: string, ttlMs: number, at = now) =>
      shares.create({ tenantId, linkId, file: file('upl_AAAAAAAAAAAAAAAAAAAA'), ttlMs, now: at });
    const live = [await share(created.id, 60_000), await share(created.id, 3_600_000)];
    const expired = await share(created.id, 1_000, new Date(now.getTime() - 60_000));
    const otherLink = await share(other.id, 60_000);

    const url = `/v1/links/${created.id}/file-links`;
    const foreign = await h.service.app.inject({ method: 'DELETE', url, headers: auth(OTHER_API_KEY) });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('not_found');
    expect((await shares.findByTokenHash(hashSecret(live[0]?.token as string), new Date())).outcome).toBe(
      'found',
    );

    const res = await h.service.app.inject({ method: 'DELETE', url, headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ revoked: 2 });
    for (const { token } of live)
      expect((await shares.findByTokenHash(hashSecret(token), new Date())).outcome).toBe('revoked');
    expect((await shares.findByTokenHash(hashSecret(expired.token), new Date())).outcome).toBe('expired');
    expect((await shares.findByTokenHash(hashSecret(otherLink.token), new Date())).outcome).toBe('found');

    const again = await h.service.app.inject({ method: 'DELETE', url, headers: auth() });
    expect(again.json()).toEqual({ revoked: 0 });
    const unknown = await h.service.app.inject({
      method: 'DELETE',
      url: '/v1/links/lnk_AAAAAAAAAAAAAAAAAAAA/file-links',
      headers: auth(),
    });
    expect(unknown.statusCode).toBe(404);
  });

  itOnServers("reads MongoDB's raw share documents")('stores only the hash of a viewer token', async () => {
    const shares = new MongoFileShareStore(h.infra.servers().mongo.db);
    const { token } = await shares.create({
      tenantId: 'ten_AAAAAAAAAAAAAAAAAAAA',
      linkId: 'lnk_AAAAAAAAAAAAAAAAAAAA',
      file: file('upl_BBBBBBBBBBBBBBBBBBBB'),
      ttlMs: 60_000,
      now: new Date(),
    });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const hash = createHash('sha256').update(token).digest('base64url');
    const stored = await shares.collection.findOne({ _id: hash });
    expect(stored).toMatchObject({ blobName: 'blob-upl_BBBBBBBBBBBBBBBBBBBB', category: 'document' });
    expect(JSON.stringify(await shares.collection.find().toArray())).not.toContain(token);
    expect((await shares.findByTokenHash(hashSecret('x'.repeat(43)), new Date())).outcome).toBe('not_found');
  });
});

describe('GET /v1/links/:id/file-url', () => {
  it('answers 404 with a clear message when no blob storage is configured', async () => {
    const created = (await createLink()).json();
    const pending = await h.store.links.getById(created.id);
    if (!pending) throw new Error('link not stored');
    const received = await h.store.links.markReceived(
      pending,
      {
        files: [
          {
            uploadId: 'upl_BBBBBBBBBBBBBBBBBBBB',
            kind: 'audio',
            category: 'audio',
            fileName: 'voice.webm',
            contentType: 'audio/webm',
            size: 1234,
            container: 'uplink-uploads',
            blobName: 'blob-voice',
            etag: '"0x1"',
          },
        ],
      },
      new Date(),
    );
    expect(received?.status).toBe('received');
    const res = await h.service.app.inject({
      method: 'GET',
      url: `/v1/links/${created.id}/file-url`,
      headers: auth(),
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe(
      'Previews are off: this link-service has no blob storage configured.',
    );
    const page = await h.service.app.inject({ method: 'GET', url: '/console' });
    expect(String(page.headers['content-security-policy'])).not.toContain('media-src');
  });

  itOnServers("writes the link's deleted file straight into MongoDB")(
    "answers 410 once the tenant's retention deleted the file, and the link says when",
    async () => {
      const created = (await createLink()).json();
      const deletedAt = new Date('2026-01-02T03:04:05.000Z');
      await h.infra
        .servers()
        .mongo.db.collection<LinkDocument>('links')
        .updateOne(
          { _id: created.id },
          {
            $set: {
              status: 'delivered',
              receivedAt: new Date(),
              deliveredAt: new Date(),
              fileDeletedAt: deletedAt,
              upload: {
                uploadId: 'upl_CCCCCCCCCCCCCCCCCCCC',
                kind: 'file',
                category: 'document',
                fileName: 'label.pdf',
                contentType: 'application/pdf',
                size: 99,
                container: 'uplink-uploads',
                blobName: 'blob-label',
                etag: '"0x2"',
              },
            },
          },
        );
      const view = await h.service.app.inject({ url: `/v1/links/${created.id}`, headers: auth() });
      expect(view.json().file).toEqual({
        fileName: 'label.pdf',
        contentType: 'application/pdf',
        size: 99,
        kind: 'file',
        deletedAt: '2026-01-02T03:04:05.000Z',
      });
      const res = await h.service.app.inject({ url: `/v1/links/${created.id}/file-url`, headers: auth() });
      expect(res.statusCode).toBe(410);
      expect(res.json().error).toEqual({
        code: 'file_deleted',
        message:
          'The file was deleted on 2026-01-02: the retention period set in the media policy had run out.',
      });
    },
  );
});

describe('settings', () => {
  it('reads and updates branding and the default validity', async () => {
    const before = await h.service.app.inject({ url: '/v1/settings', headers: auth() });
    expect(before.json()).toEqual({
      companyName: 'Demo Company',
      supportDomain: null,
      defaultValidityHours: 2,
      mediaPolicy: defaultMediaPolicy(),
      filesNeedSignIn: false,
      destinations: { freshdesk: null, twilioFlex: null, webhook: null },
    });
    const put = await h.service.app.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: auth(),
      payload: { companyName: 'Acme', supportDomain: 'support.acme.com', defaultValidityHours: 8 },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      companyName: 'Acme',
      supportDomain: 'support.acme.com',
      defaultValidityHours: 8,
    });
    const link = (await createLink()).json();
    expect(link.validityHours).toBe(8);
    const partial = await h.service.app.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: auth(),
      payload: { defaultValidityHours: 2 },
    });
    expect(partial.json()).toMatchObject({
      companyName: 'Acme',
      supportDomain: 'support.acme.com',
      defaultValidityHours: 2,
    });
  });

  it('changes only the parts of the media policy it is given', async () => {
    const put = (mediaPolicy: object) =>
      h.service.app.inject({ method: 'PUT', url: '/v1/settings', headers: auth(), payload: { mediaPolicy } });
    const off = await put({ receiveEnabled: false, disabledMessage: 'Please email us instead.' });
    expect(off.statusCode).toBe(200);
    const limits = await put({
      categories: { video: { maxBytes: 50 * 1024 * 1024 }, archive: { allowed: false } },
    });
    const policy = limits.json().mediaPolicy;
    expect(policy).toMatchObject({
      receiveEnabled: false,
      disabledMessage: 'Please email us instead.',
      retentionDays: 30,
    });
    expect(policy.categories).toEqual({
      ...defaultMediaPolicy().categories,
      video: { allowed: true, maxBytes: 50 * 1024 * 1024 },
      archive: { allowed: false, maxBytes: 20 * 1024 * 1024 },
    });
    const back = await put({
      receiveEnabled: true,
      disabledMessage: null,
      categories: { archive: { allowed: true } },
    });
    expect(back.json().mediaPolicy.receiveEnabled).toBe(true);
    expect(back.json().mediaPolicy.categories.video.maxBytes).toBe(50 * 1024 * 1024);
    // Malware scanning is on unless turned off, and only what is named changes.
    expect(back.json().mediaPolicy.scanFiles).toBe(true);
    const unscanned = await put({ scanFiles: false });
    expect(unscanned.json().mediaPolicy).toMatchObject({ scanFiles: false, retentionDays: 30 });
    // A submission holds 10 files by default, its total from the categories' limits (null).
    expect(unscanned.json().mediaPolicy).toMatchObject({
      maxFilesPerSubmission: 10,
      maxSubmissionBytes: null,
    });
    const submissions = await put({ maxFilesPerSubmission: 3, maxSubmissionBytes: 30 * 1024 * 1024 });
    expect(submissions.json().mediaPolicy).toMatchObject({
      maxFilesPerSubmission: 3,
      maxSubmissionBytes: 30 * 1024 * 1024,
      scanFiles: false,
    });
    const summed = await put({ maxSubmissionBytes: null });
    expect(summed.json().mediaPolicy).toMatchObject({ maxFilesPerSubmission: 3, maxSubmissionBytes: null });
  });

  it.each([
    [{ categories: { video: { maxBytes: 0 } } }, 'body/mediaPolicy/categories/video/maxBytes must be >= 1'],
    [
      { categories: { video: { maxBytes: 201 * 1024 * 1024 } } },
      'body/mediaPolicy/categories/video/maxBytes must be <=',
    ],
    [
      { categories: { executables: { allowed: true } } },
      'body/mediaPolicy/categories/executables is not a known field',
    ],
    [{ retentionDays: 0 }, 'body/mediaPolicy/retentionDays must be >= 1'],
    [{ disabledMessage: 'x'.repeat(501) }, 'body/mediaPolicy/disabledMessage'],
    [{ maxFilesPerSubmission: 51 }, 'body/mediaPolicy/maxFilesPerSubmission must be <= 50'],
    [{ maxFilesPerSubmission: 0 }, 'body/mediaPolicy/maxFilesPerSubmission must be >= 1'],
    [{ maxSubmissionBytes: 0 }, 'body/mediaPolicy/maxSubmissionBytes'],
  ])('rejects the media policy %j with 400 naming the field', async (mediaPolicy, message) => {
    const res = await h.service.app.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: auth(),
      payload: { mediaPolicy },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(message);
  });

  it('rejects an invalid support domain', async () => {
    const res = await h.service.app.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: auth(),
      payload: { supportDomain: 'https://acme.com/help' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('body/supportDomain');
  });
});

describe('operator routes', () => {
  it('creates a tenant whose key works, and refuses a wrong operator token', async () => {
    const denied = await h.service.app.inject({
      method: 'POST',
      url: '/admin/tenants',
      headers: { authorization: 'Bearer nope' },
      payload: { name: 'Globex' },
    });
    expect(denied.statusCode).toBe(401);
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/admin/tenants',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      payload: { name: 'Globex' },
    });
    expect(res.statusCode).toBe(201);
    const { apiKey } = res.json();
    const settings = await h.service.app.inject({ url: '/v1/settings', headers: auth(apiKey) });
    expect(settings.json().companyName).toBe('Globex');
  });
});

describe('OpenAPI and health', () => {
  it('serves the generated OpenAPI document and its UI', async () => {
    const doc = await h.service.app.inject({ url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(doc.json().paths)).toEqual(
      expect.arrayContaining([
        '/v1/links',
        '/v1/links/{id}',
        '/v1/tickets/{provider}/{ticketId}/links',
        '/v1/links/{id}/file-links',
        '/v1/settings',
      ]),
    );
    const ui = await h.service.app.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
  });

  it('is ready when its session store and event bus answer (MongoDB and NATS, or the SQLite files)', async () => {
    const res = await h.service.app.inject({ url: '/readyz' });
    expect(res.json()).toEqual({ status: 'ready', checks: { [h.store.kind]: 'ok', [h.bus.kind]: 'ok' } });
    expect((await h.service.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('answers unknown routes with the error envelope', async () => {
    const res = await h.service.app.inject({ url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  it('answers 405 with the methods a known path has, whatever the request carries', async () => {
    const { id } = (await createLink()).json();
    const cases = [
      { method: 'PUT', url: `/v1/links/${id}`, allow: 'DELETE, GET, HEAD' },
      { method: 'PATCH', url: '/v1/settings', allow: 'GET, HEAD, PUT' },
      { method: 'DELETE', url: '/v1/tickets/webhook/T-1/links?limit=2', allow: 'GET, HEAD' },
      // A QUERY with no Content-Type would be refused for that first; the method decides.
      { method: 'QUERY', url: '/v1/links', allow: 'POST' },
    ] as const;
    for (const { method, url, allow } of cases) {
      const res = await h.service.app.inject({ method, url, headers: auth() });
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      expect(res.headers.allow).toBe(allow);
      expect(res.json().error).toMatchObject({
        code: 'method_not_allowed',
        message: expect.stringContaining(allow),
      });
    }
    expect((await h.service.app.inject({ method: 'PUT', url: '/v1/nothing-here' })).statusCode).toBe(404);
  });

  it('refuses a malformed or overlong URL with the error envelope', async () => {
    const long = await h.service.app.inject({
      url: `/v1/tickets/webhook/${'1'.repeat(129)}/links`,
      headers: auth(),
    });
    expect(long.statusCode).toBe(400);
    expect(long.json().error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('ticketId'),
    });
    const huge = await h.service.app.inject({ url: `/v1/links/${'x'.repeat(300)}`, headers: auth() });
    expect(huge.statusCode).toBe(414);
    expect(huge.json().error.code).toBe('invalid_request');
    const bad = await h.service.app.inject({ url: '/v1/links/%E0%A4%A', headers: auth() });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_request');
  });
});

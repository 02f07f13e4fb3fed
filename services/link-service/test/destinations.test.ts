import type { SettingsView } from '@uplink/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, type LinkServiceHarness, startLinkService } from './helper.ts';

let h: LinkServiceHarness;
beforeAll(async () => {
  h = await startLinkService();
});
afterAll(() => h?.close());

const put = (body: unknown) =>
  h.service.app.inject({ method: 'PUT', url: '/v1/settings', headers: auth(), payload: body as object });

describe('destinations in settings', () => {
  it('stores credentials encrypted and never returns them', async () => {
    const response = await put({
      destinations: {
        freshdesk: { baseUrl: 'https://acme.freshdesk.com/', apiKey: 'fd-secret-api-key-123' },
        webhook: { url: 'https://hooks.acme.test/uplink', secret: 'whsec-0123456789abcdef' },
      },
    });
    expect(response.statusCode).toBe(200);
    const settings = response.json<SettingsView>();
    expect(settings.destinations).toEqual({
      freshdesk: { baseUrl: 'https://acme.freshdesk.com', apiKeySet: true },
      twilioFlex: null,
      webhook: { url: 'https://hooks.acme.test/uplink', secretSet: true },
    });
    expect(response.body).not.toContain('fd-secret-api-key-123');
    const get = await h.service.app.inject({ method: 'GET', url: '/v1/settings', headers: auth() });
    expect(get.body).not.toContain('fd-secret-api-key-123');
    expect(get.body).not.toContain('whsec-0123456789abcdef');

    const stored = await h.infra.mongo.db.collection('tenants').find({}).toArray();
    const raw = JSON.stringify(stored);
    expect(raw).toContain('"kid":"test"');
    expect(raw).not.toContain('fd-secret-api-key-123');
    expect(raw).not.toContain('whsec-0123456789abcdef');
    expect(JSON.stringify(h.infra.logs)).not.toContain('fd-secret-api-key-123');
  });

  it('changes one field and keeps the secret, removes with null, and other settings stay', async () => {
    await put({ companyName: 'Acme Support' });
    const changed = await put({ destinations: { freshdesk: { baseUrl: 'https://acme-eu.freshdesk.com' } } });
    expect(changed.json<SettingsView>().destinations.freshdesk).toEqual({
      baseUrl: 'https://acme-eu.freshdesk.com',
      apiKeySet: true,
    });
    const removed = await put({ destinations: { webhook: null } });
    const settings = removed.json<SettingsView>();
    expect(settings.destinations.webhook).toBeNull();
    expect(settings.companyName).toBe('Acme Support');
  });

  it('refuses plain http except on loopback, and incomplete new destinations', async () => {
    const http = await put({
      destinations: { webhook: { url: 'http://hooks.acme.test/x', secret: 'whsec-0123456789abcdef' } },
    });
    expect(http.statusCode).toBe(400);
    expect(http.json().error.message).toContain('https');
    const loopback = await put({
      destinations: { webhook: { url: 'http://127.0.0.1:9999/x', secret: 'whsec-0123456789abcdef' } },
    });
    expect(loopback.statusCode).toBe(200);
    const incomplete = await put({ destinations: { twilioFlex: { accountSid: `AC${'0'.repeat(32)}` } } });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.json().error.message).toContain('workspaceSid');
  });
});

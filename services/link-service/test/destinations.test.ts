import type { SettingsView } from '@uplink/contracts';
import { bootstrapTenantId } from '@uplink/tenants';
import { API_KEY, auth, type LinkServiceHarness, linkServiceHarness } from '@uplink/testing/link-service';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';

let h: LinkServiceHarness;
beforeAll(async () => {
  h = await linkServiceHarness();
});

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

    const stored = await h.store.tenants.readDestinations(bootstrapTenantId(API_KEY));
    const raw = JSON.stringify(stored);
    expect(raw).toContain('"kid":"test"');
    expect(raw).not.toContain('fd-secret-api-key-123');
    expect(raw).not.toContain('whsec-0123456789abcdef');
    expect(JSON.stringify(h.infra.logs)).not.toContain('fd-secret-api-key-123');
  });

  it('changes one field and keeps the secret, removes with null, and other settings stay', async () => {
    await put({ companyName: 'Acme Support' });
    const changed = await put({
      destinations: {
        freshdesk: { baseUrl: 'https://acme-eu.freshdesk.com', apiKey: 'fd-secret-api-key-456' },
      },
    });
    expect(changed.json<SettingsView>().destinations.freshdesk).toEqual({
      baseUrl: 'https://acme-eu.freshdesk.com',
      apiKeySet: true,
    });
    const keyOnly = await put({ destinations: { freshdesk: { apiKey: 'fd-secret-api-key-789' } } });
    expect(keyOnly.statusCode).toBe(200);
    expect(keyOnly.json<SettingsView>().destinations.freshdesk?.baseUrl).toBe(
      'https://acme-eu.freshdesk.com',
    );
    const removed = await put({ destinations: { webhook: null } });
    const settings = removed.json<SettingsView>();
    expect(settings.destinations.webhook).toBeNull();
    expect(settings.companyName).toBe('Acme Support');
  });

  it('refuses plain http except on loopback in development, and incomplete new destinations', async () => {
    const http = await put({
      destinations: { webhook: { url: 'http://hooks.acme.test/x', secret: 'whsec-0123456789abcdef' } },
    });
    expect(http.statusCode).toBe(400);
    expect(http.json().error.message).toContain('https');
    const loopback = {
      destinations: { webhook: { url: 'http://127.0.0.1:9999/x', secret: 'whsec-0123456789abcdef' } },
    };
    // Loopback is for development and tests: only the operator's EGRESS_ALLOW_LOOPBACK allows it.
    expect((await put(loopback)).statusCode).toBe(400);
    const development = await h.build({ config: { EGRESS_ALLOW_LOOPBACK: true } });
    const allowed = await development.app.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: auth(),
      payload: loopback,
    });
    expect(allowed.statusCode).toBe(200);
    const incomplete = await put({ destinations: { twilioFlex: { accountSid: `AC${'0'.repeat(32)}` } } });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.json().error.message).toContain('workspaceSid');
  });
});

// Issue 11, item 1: whoever holds the tenant's API key must not be able to send a stored secret
// anywhere else, by changing the URL or any part of where it goes.
describe('a stored secret stays with the address it was entered for', () => {
  const FRESHDESK = { baseUrl: 'https://acme.freshdesk.com', apiKey: 'fd-secret-api-key-123' };
  const ACCOUNT = `AC${'a'.repeat(32)}`;
  const TWILIO = {
    accountSid: ACCOUNT,
    workspaceSid: `WS${'b'.repeat(32)}`,
    authToken: 'twilio-auth-token-123',
  };
  const WEBHOOK = { url: 'https://hooks.acme.example/uplink', secret: 'whsec-0123456789abcdef' };

  beforeEach(async () => {
    const reset = await put({ destinations: { freshdesk: FRESHDESK, twilioFlex: TWILIO, webhook: WEBHOOK } });
    expect(reset.statusCode).toBe(200);
  });

  const storedDestinations = async () =>
    (await h.service.app.inject({ method: 'GET', url: '/v1/settings', headers: auth() })).json<SettingsView>()
      .destinations;

  // The attack and its variants; the message names what is missing (or what is wrong).
  it.each([
    [{ freshdesk: { baseUrl: 'https://attacker.freshdesk.com' } }, ['freshdesk/apiKey', 'freshdesk/baseUrl']],
    [{ freshdesk: { baseUrl: 'http://attacker.example' } }, ['freshdesk/baseUrl']],
    [
      { twilioFlex: { accountSid: `AC${'c'.repeat(32)}` } },
      ['twilioFlex/authToken', 'twilioFlex/accountSid'],
    ],
    [{ twilioFlex: { baseUrl: 'https://attacker.example' } }, ['twilioFlex/baseUrl']],
    [{ webhook: { url: 'https://attacker.example/collect' } }, ['webhook/secret', 'webhook/url']],
    [{ webhook: { url: 'https://hooks.acme.example/elsewhere' } }, ['webhook/secret', 'webhook/url']],
    [{ webhook: { url: 'http://hooks.acme.example/uplink' } }, ['webhook/url']],
  ])('refuses moving a destination without its secret: %j', async (destinations, fields) => {
    const before = await storedDestinations();
    const response = await put({ destinations });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
    for (const field of fields) expect(response.json().error.message).toContain(`destinations/${field}`);
    expect(await storedDestinations()).toEqual(before);
  });

  it('moves a destination when its secret comes along, and takes the same address or other fields alone', async () => {
    const moved = await put({
      destinations: {
        freshdesk: { baseUrl: 'https://acme-eu.freshdesk.com', apiKey: 'fd-new-key-000' },
        twilioFlex: { accountSid: `AC${'c'.repeat(32)}`, authToken: 'twilio-new-token-0' },
        webhook: { url: 'https://hooks.acme.example/v2', secret: 'whsec-new-0123456789' },
      },
    });
    expect(moved.statusCode).toBe(200);
    // The same address (in another spelling) and fields that do not decide where the secret goes.
    const same = await put({
      destinations: {
        freshdesk: { baseUrl: 'https://ACME-EU.freshdesk.com/' },
        twilioFlex: {
          workspaceSid: `WS${'d'.repeat(32)}`,
          mediaEntry: 'Embedded',
          baseUrl: 'https://taskrouter.twilio.com',
        },
        webhook: { url: 'https://hooks.acme.example/v2' },
      },
    });
    expect(same.statusCode).toBe(200);
    expect(same.json<SettingsView>().destinations).toMatchObject({
      freshdesk: { baseUrl: 'https://acme-eu.freshdesk.com', apiKeySet: true },
      twilioFlex: { workspaceSid: `WS${'d'.repeat(32)}`, mediaEntry: 'Embedded', authTokenSet: true },
      webhook: { url: 'https://hooks.acme.example/v2', secretSet: true },
    });
  });

  it.each([
    'https://evil@acme.freshdesk.com',
    'https://acme.freshdesk.com:x@evil.example',
    'https://acme.freshdesk.com@evil.example',
    'https://acme.freshdesk.com.evil.example',
    'https://acme.freshdesk.com.',
    'https://acme-freshdesk.com',
    'https://freshdesk.com',
    'https://acme.freshdesk.com:8443',
    'https://acme.freshdesk.com/api/v2',
    'https://acme.freshdesk.com\\@evil.example',
    'https://acme.freshdesk.com/?next=https://evil.example',
    'https://acme.freshdesk.com/#x',
    'https://acme.freshdesk.c\u043em',
    'http://acme.freshdesk.com',
    'https://evil.example/acme.freshdesk.com',
    'https://127.0.0.1',
    'http://127.0.0.1:4000',
  ])('refuses %s as a Freshdesk address, even with a key', async (baseUrl) => {
    const response = await put({ destinations: { freshdesk: { baseUrl, apiKey: 'fd-other-key-000' } } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('destinations/freshdesk/baseUrl');
    expect((await storedDestinations()).freshdesk?.baseUrl).toBe(FRESHDESK.baseUrl);
  });

  it.each([
    'https://taskrouter.twilio.com.evil.example',
    'https://api.twilio.com',
    'https://evil.twilio.com',
    'https://taskrouter.twilio.com:444',
    'http://taskrouter.twilio.com',
    'https://taskrouter.twilio.com/v1/Workspaces',
    'https://user@taskrouter.twilio.com',
  ])('refuses %s as a Twilio Flex address, even with a token', async (baseUrl) => {
    const response = await put({
      destinations: { twilioFlex: { baseUrl, authToken: 'twilio-other-token' } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('destinations/twilioFlex/baseUrl');
  });

  it.each([
    'http://hooks.acme.example/uplink',
    'https://127.0.0.1/',
    'https://127.1/',
    'https://0x7f000001/',
    'https://2130706433/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://0.0.0.0:8080/',
    'https://10.0.0.1/',
    'https://192.168.1.10/hook',
    'https://100.64.0.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[fd00::1]/',
    'https://[fe80::1]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://localhost/',
    'https://api.localhost/',
    'https://link-service:8080/admin/tenants',
    'https://user:password@hooks.acme.example/',
    'https://hooks.acme.example/uplink#frag',
  ])('refuses %s as a webhook address, even with a secret', async (url) => {
    const response = await put({ destinations: { webhook: { url, secret: 'whsec-other-0123456789' } } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('destinations/webhook/url');
    expect((await storedDestinations()).webhook?.url).toBe(WEBHOOK.url);
  });

  it('takes other Freshdesk and Twilio hosts only from the operator (DESTINATION_EXTRA_HOSTS)', async () => {
    const operator = await h.build({
      config: { DESTINATION_EXTRA_HOSTS: 'acme.helpdesk.example, taskrouter.eu.example' },
    });
    const putOn = (payload: object) =>
      operator.app.inject({ method: 'PUT', url: '/v1/settings', headers: auth(), payload });
    const allowed = await putOn({
      destinations: {
        freshdesk: { baseUrl: 'https://acme.helpdesk.example', apiKey: 'fd-other-key-000' },
        twilioFlex: { baseUrl: 'https://taskrouter.eu.example', authToken: 'twilio-other-token' },
      },
    });
    expect(allowed.statusCode).toBe(200);
    // Still https, still a bare origin, still never with a user name.
    for (const baseUrl of [
      'http://acme.helpdesk.example',
      'https://acme.helpdesk.example/api',
      'https://x@acme.helpdesk.example',
      'https://other.helpdesk.example',
    ]) {
      const refused = await putOn({ destinations: { freshdesk: { baseUrl, apiKey: 'fd-other-key-000' } } });
      expect(refused.statusCode, baseUrl).toBe(400);
    }
    // The tenant's settings cannot widen the list: the default service refuses what was stored.
    const tenantTry = await put({
      destinations: { freshdesk: { baseUrl: 'https://acme.helpdesk.example', apiKey: 'fd-other-key-000' } },
    });
    expect(tenantTry.statusCode).toBe(400);
  });
});

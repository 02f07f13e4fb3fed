// Issue 11, item 1, as note-relay sees it: a stored secret is opened only for the address it was
// entered for. Records are written straight into the database here, as an attacker with write
// access to it (or a record from before the rules) would leave them.

import { SecretBox } from '@uplink/kit';
import { type FreshdeskDouble, startFreshdeskDouble } from '@uplink/saas-doubles';
import type { TenantStore } from '@uplink/store';
import type { StoredDestinations } from '@uplink/tenants';
import { pdfBytes } from '@uplink/testing';
import { type NoteRelayHarness, noteRelayHarness, SECRET_KEYS } from '@uplink/testing/note-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let h: NoteRelayHarness;
let freshdesk: FreshdeskDouble;
/** Another Freshdesk on another origin: where a moved secret would go. */
let elsewhere: FreshdeskDouble;
let tenants: TenantStore;
const box = SecretBox.parse(SECRET_KEYS);
const SHARED_KEY = 'fd-shared-api-key-0000';

beforeAll(async () => {
  [h, freshdesk, elsewhere] = await Promise.all([
    noteRelayHarness({ maxAttempts: 2 }),
    // Both take the same key, so only the seal's binding can keep it from the second.
    startFreshdeskDouble({ tickets: [{ id: 4711 }], apiKey: SHARED_KEY }),
    startFreshdeskDouble({ tickets: [{ id: 4711 }], apiKey: SHARED_KEY }),
  ]);
  tenants = h.store.tenants;
}, 60_000);
afterAll(async () => {
  await Promise.all([freshdesk?.stop(), elsewhere?.stop()]);
});

async function read(): Promise<StoredDestinations> {
  return (await tenants.readDestinations(h.gateway.tenantId))?.stored ?? {};
}

async function write(change: (stored: StoredDestinations) => StoredDestinations): Promise<void> {
  const record = await tenants.readDestinations(h.gateway.tenantId);
  if (!record) throw new Error('no tenant');
  const written = await tenants.writeDestinations(
    h.gateway.tenantId,
    record.revision,
    change(record.stored),
    new Date(),
  );
  if (written === null || written === 'conflict') throw new Error('could not write the destinations');
}

async function deliver(): Promise<{ status: string; reason: string | undefined }> {
  const { linkId } = await h.upload({ provider: 'freshdesk', id: '4711' }, pdfBytes(600));
  const link = await h.settled(linkId);
  return { status: link.status, reason: link.delivery?.reason };
}

describe('sealed destination secrets', () => {
  it('a secret sealed before origin binding works for its stored URL, and is bound on the next change', async () => {
    const legacy = box.seal(freshdesk.apiKey, `${h.gateway.tenantId}/freshdesk.apiKey`);
    await write(() => ({ freshdesk: { baseUrl: freshdesk.url, apiKey: legacy } }));
    expect(await deliver()).toMatchObject({ status: 'delivered' });
    expect(freshdesk.notes(4711)).toHaveLength(1);

    // Any change to the tenant's destinations seals it again, bound to that URL.
    await h.setDestinations({
      webhook: { url: 'https://hooks.acme.example/uplink', secret: 'whsec-0123456789abcdef' },
    });
    const rebound = (await read()).freshdesk?.apiKey;
    expect(rebound).toBeDefined();
    expect(rebound).not.toEqual(legacy);
    expect(() => box.open(rebound as typeof legacy, `${h.gateway.tenantId}/freshdesk.apiKey`)).toThrow();
    expect(await deliver()).toMatchObject({ status: 'delivered' });
    expect(freshdesk.notes(4711)).toHaveLength(2);
  });

  it('a secret moved to another origin in the database does not open there, and nothing is sent', async () => {
    await h.setDestinations({ freshdesk: { baseUrl: freshdesk.url, apiKey: freshdesk.apiKey } });
    await write((stored) => ({
      ...stored,
      freshdesk: { baseUrl: elsewhere.url, apiKey: stored.freshdesk?.apiKey as never },
    }));
    const outcome = await deliver();
    expect(outcome.status).toBe('delivery_failed');
    expect(outcome.reason).toContain(`was not entered for ${elsewhere.url}`);
    expect(elsewhere.notes(4711)).toHaveLength(0);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('a Twilio token moved to another account in the database does not open', async () => {
    await h.setDestinations({
      twilioFlex: {
        accountSid: `AC${'a'.repeat(32)}`,
        workspaceSid: `WS${'b'.repeat(32)}`,
        authToken: 'twilio-token-0000',
        baseUrl: freshdesk.url,
      },
    });
    await write((stored) => ({
      ...stored,
      twilioFlex: {
        ...(stored.twilioFlex as NonNullable<StoredDestinations['twilioFlex']>),
        accountSid: `AC${'e'.repeat(32)}`,
      },
    }));
    const { linkId } = await h.upload({ provider: 'twilio-flex', id: `WT${'c'.repeat(32)}` }, pdfBytes(600));
    const link = await h.settled(linkId);
    expect(link.status).toBe('delivery_failed');
    expect(link.delivery?.reason).toContain('Twilio Flex auth token was not entered for');
  });

  it('a record from before the rules that points elsewhere is refused before its secret is opened', async () => {
    const legacy = box.seal(freshdesk.apiKey, `${h.gateway.tenantId}/freshdesk.apiKey`);
    await write(() => ({ freshdesk: { baseUrl: 'https://attacker.example', apiKey: legacy } }));
    const outcome = await deliver();
    expect(outcome.status).toBe('delivery_failed');
    expect(outcome.reason).toContain(
      "The Freshdesk destination's stored address must be https://<your account>.freshdesk.com",
    );
  });
});

// Issue 11, item 4: a tenant-set URL that leads inside (loopback, private, link-local, metadata)
// is never called, whatever its spelling, for every destination. The relay runs as in production
// (EGRESS_ALLOW_LOOPBACK off) while a real listener on loopback counts every connection: "never
// called" means no TCP connection at all, not just a failed delivery.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Sealed, SecretBox } from '@uplink/kit';
import type { StoredDestinations } from '@uplink/tenants';
import { pdfBytes } from '@uplink/testing';
import { type NoteRelayHarness, noteRelayHarness, SECRET_KEYS } from '@uplink/testing/note-relay';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let h: NoteRelayHarness;
let listener: Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  listener = createServer((_request, response) => response.writeHead(200).end('{"id": 1}'));
  listener.on('connection', () => {
    connections += 1;
  });
  // '::' takes IPv4 too, so 127.0.0.1, ::1, 0.0.0.0 and the mapped forms all land here.
  await new Promise<void>((resolve) => listener.listen(0, '::', resolve));
  port = (listener.address() as AddressInfo).port;
  h = await noteRelayHarness({
    allowLoopback: false,
    maxAttempts: 2,
    // An operator's extra helpdesk host, and names whose DNS answers lead inside.
    extraHosts: ['helpdesk.example.com'],
    resolve: async (hostname) => {
      const table: Record<string, string[]> = {
        'helpdesk.example.com': ['127.0.0.1'],
        'rebound.example.com': ['127.0.0.1'],
        'half-inside.example.com': ['93.184.216.34', '::1'],
        'metadata.example.com': ['169.254.169.254'],
      };
      return (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
  });
}, 60_000);
afterAll(async () => {
  listener?.close();
});
beforeEach(() => {
  connections = 0;
});

/**
 * Destinations as a record written before these rules (or straight into the database): secrets
 * sealed the old way, any URL. The relay must still refuse to call inside.
 */
async function storeRaw(build: (seal: (field: string, value: string) => Sealed) => StoredDestinations) {
  const tenants = h.store.tenants;
  const box = SecretBox.parse(SECRET_KEYS);
  const { tenantId } = h.gateway;
  const record = await tenants.readDestinations(tenantId);
  const seal = (field: string, value: string) => box.seal(value, `${tenantId}/${field}`);
  const written = await tenants.writeDestinations(tenantId, record?.revision ?? 0, build(seal), new Date());
  if (written === null || written === 'conflict') throw new Error('could not store the destinations');
}

async function deliveryFailure(provider: 'webhook' | 'freshdesk' | 'twilio-flex', ticketId: string) {
  const { linkId } = await h.upload({ provider, id: ticketId }, pdfBytes(800));
  const link = await h.settled(linkId);
  expect(link.status).toBe('delivery_failed');
  const reason = link.delivery?.reason ?? '';
  // Says the address is not allowed, and nothing the target said or is: no status, no address.
  expect(reason).toMatch(/not allowed|public internet address/);
  expect(reason).not.toMatch(/answered|did not answer|ECONNREFUSED|127\.|::1|169\.254|10\.0\./);
  expect(reason).not.toContain(String(port));
  return reason;
}

const internalUrls = [
  'http://127.0.0.1:PORT/admin/tenants',
  'http://0x7f000001:PORT/admin/tenants',
  'http://127.1:PORT/',
  'http://2130706433:PORT/',
  'http://017700000001:PORT/',
  'http://[::1]:PORT/',
  'http://[::ffff:127.0.0.1]:PORT/',
  'http://[::ffff:7f00:1]:PORT/',
  'https://0.0.0.0:PORT/',
  'http://localhost:PORT/',
  'http://LOCALHOST.:PORT/',
  'https://rebound.example.com:PORT/',
  'https://half-inside.example.com:PORT/',
  'https://metadata.example.com:PORT/latest/meta-data/',
  'https://169.254.169.254/latest/meta-data/',
  'https://10.0.0.1/',
  'https://metadata.google.internal/computeMetadata/v1/',
];

describe('with EGRESS_ALLOW_LOOPBACK off', () => {
  it.each(internalUrls)('never calls the webhook %s', async (template) => {
    const url = template.replace('PORT', String(port));
    await storeRaw((seal) => ({
      webhook: { url, secret: seal('webhook.secret', 'whsec-0123456789abcdef') },
    }));
    await deliveryFailure('webhook', 'case-1');
    expect(connections).toBe(0);
  });

  it.each(['http://127.0.0.1:PORT', 'http://[::ffff:127.0.0.1]:PORT', 'https://helpdesk.example.com:PORT'])(
    'never calls a Freshdesk base URL %s',
    async (template) => {
      const baseUrl = template.replace('PORT', String(port));
      await storeRaw((seal) => ({ freshdesk: { baseUrl, apiKey: seal('freshdesk.apiKey', 'fd-key-000') } }));
      await deliveryFailure('freshdesk', '4711');
      expect(connections).toBe(0);
    },
  );

  it.each(['http://127.0.0.1:PORT', 'http://[::1]:PORT', 'https://helpdesk.example.com:PORT'])(
    'never calls a Twilio Flex base URL %s',
    async (template) => {
      const baseUrl = template.replace('PORT', String(port));
      await storeRaw((seal) => ({
        twilioFlex: {
          accountSid: `AC${'a'.repeat(32)}`,
          workspaceSid: `WS${'b'.repeat(32)}`,
          baseUrl,
          mediaEntry: 'Referenced',
          authToken: seal('twilioFlex.authToken', 'twilio-token-000'),
        },
      }));
      await deliveryFailure('twilio-flex', `WT${'c'.repeat(32)}`);
      expect(connections).toBe(0);
    },
  );
});

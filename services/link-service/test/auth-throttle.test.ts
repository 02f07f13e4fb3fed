// Failed authentication is throttled per client address: wrong API keys, wrong stream
// credentials and wrong operator tokens, over real HTTP on real NATS and MongoDB-wire servers.
import type { AddressInfo } from 'node:net';
import type { ErrorEnvelope } from '@uplink/contracts';
import type { Service } from '@uplink/kit';
import {
  API_KEY,
  auth,
  type LinkServiceHarness,
  linkServiceHarness,
  OPERATOR_TOKEN,
} from '@uplink/testing/link-service';
import { beforeAll, describe, expect, it } from 'vitest';

const FAILURES_PER_MINUTE = 5;

let h: LinkServiceHarness;
let behindProxy: Service;
let direct: Service;
const baseOf = (service: Service) => `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;

beforeAll(async () => {
  h = await linkServiceHarness();
  behindProxy = await h.build({
    config: { TRUST_PROXY: '127.0.0.1', AUTH_FAILURES_PER_MINUTE: FAILURES_PER_MINUTE },
  });
  direct = await h.build({ config: { AUTH_FAILURES_PER_MINUTE: FAILURES_PER_MINUTE } });
  await behindProxy.app.listen({ host: '127.0.0.1', port: 0 });
  await direct.app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

const ticketPath = '/v1/tickets/freshdesk/4711/links';

/** Statuses of the answers; each 429 must be in the envelope with a Retry-After. */
async function statusesOf(responses: Response[]): Promise<number[]> {
  for (const response of responses) {
    if (response.status === 429) {
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      const { error } = (await response.json()) as ErrorEnvelope;
      expect(error.code).toBe('rate_limited');
      expect(error.message).toMatch(/failed authentication/);
    } else {
      await response.arrayBuffer();
    }
  }
  return responses.map((response) => response.status);
}

async function sequentially(count: number, request: (i: number) => Promise<Response>): Promise<Response[]> {
  const responses: Response[] = [];
  for (let i = 0; i < count; i++) responses.push(await request(i));
  return responses;
}

const from = (address: string, headers: Record<string, string> = {}) => ({
  ...headers,
  'x-forwarded-for': address,
});

const BUDGET_THEN_REFUSED = [...Array(FAILURES_PER_MINUTE).fill(401), 429, 429];

describe('failed authentication', () => {
  it('refuses a client after a burst of wrong API keys, even its right key, while others go on', async () => {
    const base = baseOf(behindProxy);
    const wrongKeys = await sequentially(FAILURES_PER_MINUTE + 2, (i) =>
      fetch(`${base}${ticketPath}`, {
        headers: from('203.0.113.10', auth(`upk_wrong_key_${i}_000000000000000`)),
      }),
    );
    expect(await statusesOf(wrongKeys)).toEqual(BUDGET_THEN_REFUSED);
    // Refused before the key is looked up: the right key does not get it through either.
    const rightKey = await fetch(`${base}${ticketPath}`, { headers: from('203.0.113.10', auth(API_KEY)) });
    expect(await statusesOf([rightKey])).toEqual([429]);
    // Another client is not affected, whatever the first one did.
    const other = await fetch(`${base}${ticketPath}`, { headers: from('203.0.113.11', auth(API_KEY)) });
    expect(other.status).toBe(200);
    // Missing keys count too.
    const missing = await sequentially(FAILURES_PER_MINUTE + 2, () =>
      fetch(`${base}/v1/settings`, { headers: from('203.0.113.12') }),
    );
    expect(await statusesOf(missing)).toEqual(BUDGET_THEN_REFUSED);
  });

  it('counts unknown stream tickets, and API keys put in a stream URL', async () => {
    const base = baseOf(behindProxy);
    const attempts = await sequentially(FAILURES_PER_MINUTE + 2, (i) =>
      fetch(
        i % 2 === 0
          ? `${base}${ticketPath}/stream?stream_ticket=ust_guess_${i}`
          : `${base}${ticketPath}/stream?access_token=upk_guess_${i}`,
        { headers: from('203.0.113.20') },
      ),
    );
    expect(await statusesOf(attempts)).toEqual(BUDGET_THEN_REFUSED);
  });

  it('counts wrong operator tokens on /admin, in the same budget as API keys', async () => {
    const base = baseOf(behindProxy);
    const createTenant = (token: string, address: string) =>
      fetch(`${base}/admin/tenants`, {
        method: 'POST',
        headers: from(address, { ...auth(token), 'content-type': 'application/json' }),
        body: JSON.stringify({ name: 'Guessed' }),
      });
    const attempts = await sequentially(FAILURES_PER_MINUTE + 2, (i) =>
      createTenant(`operator-guess-${i}-000000000000000000`, '203.0.113.30'),
    );
    expect(await statusesOf(attempts)).toEqual(BUDGET_THEN_REFUSED);
    expect(await statusesOf([await createTenant(OPERATOR_TOKEN, '203.0.113.30')])).toEqual([429]);
    expect((await createTenant(OPERATOR_TOKEN, '203.0.113.31')).status).toBe(201);

    // Half the budget spent on API keys, the rest on operator tokens: one budget.
    const mixed = await sequentially(FAILURES_PER_MINUTE + 1, (i) =>
      i % 2 === 0
        ? fetch(`${base}${ticketPath}`, {
            headers: from('203.0.113.32', auth(`upk_wrong_${i}_0000000000000000000`)),
          })
        : createTenant(`operator-guess-${i}-000000000000000000`, '203.0.113.32'),
    );
    expect((await statusesOf(mixed)).at(-1)).toBe(429);
  });

  it('is documented: every guarded operation lists 401 and 429 in the OpenAPI document', async () => {
    const doc = (await behindProxy.app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const guarded = Object.entries(doc.paths).filter(([path]) => /^\/(v1|admin)\//.test(path));
    expect(guarded.length).toBeGreaterThan(5);
    for (const [path, operations] of guarded) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['401', '429']),
        );
      }
    }
  });

  it('cannot be escaped by X-Forwarded-For when no proxy is trusted', async () => {
    const base = baseOf(direct);
    const attempts = await sequentially(FAILURES_PER_MINUTE + 2, (i) =>
      fetch(`${base}${ticketPath}`, {
        headers: from(`198.51.100.${i + 1}`, auth(`upk_wrong_${i}_00000000000000000000`)),
      }),
    );
    expect(await statusesOf(attempts)).toEqual(BUDGET_THEN_REFUSED);
  });
});

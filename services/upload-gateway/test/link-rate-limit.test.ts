// RATE_LIMIT_PER_TOKEN: the upload API's budget per link, whatever address the requests come from;
// and the per-address budget, which one customer line cannot multiply.
import type { ErrorEnvelope } from '@uplink/contracts';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, it } from 'vitest';

const PER_LINK = 30;

const pdfIntent = { fileName: 'invoice.pdf', contentType: 'application/pdf', size: 100, kind: 'file' };

function postIntent(gateway: UploadGatewayHarness, token: string, headers: Record<string, string> = {}) {
  return fetch(`${gateway.baseUrl}/u/${token}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(pdfIntent),
  });
}

/** Each answer's status, and for 429s that they are in the envelope with a Retry-After. */
async function statusesOf(responses: Response[]): Promise<number[]> {
  for (const response of responses) {
    if (response.status !== 429) {
      await response.arrayBuffer();
      continue;
    }
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await response.json()) as ErrorEnvelope).error.code).toBe('rate_limited');
  }
  return responses.map((response) => response.status);
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('the per-link budget of the upload API', () => {
  let direct: UploadGatewayHarness;
  let behindProxy: UploadGatewayHarness;
  beforeAll(async () => {
    // The default per-link budget, and per-address budgets large enough never to be the limit.
    direct = await uploadGatewayHarness({ ratePerMinute: 10_000, perLinkPerMinute: PER_LINK });
    behindProxy = await uploadGatewayHarness({
      infra: direct.infra,
      ratePerMinute: 10_000,
      perLinkPerMinute: PER_LINK,
      trustProxy: '127.0.0.1',
    });
  }, 60_000);

  it('lets one address make only the budget of intents on one link; other links keep theirs', async () => {
    const { token } = await direct.createLink();
    const responses: Response[] = [];
    for (let i = 0; i < 45; i++) responses.push(await postIntent(direct, token));
    const statuses = await statusesOf(responses);
    expect(statuses.slice(0, PER_LINK)).toEqual(Array(PER_LINK).fill(201));
    expect(statuses.slice(PER_LINK)).toEqual(Array(45 - PER_LINK).fill(429));

    // The completion route is counted against the same link...
    const complete = await fetch(`${direct.baseUrl}/u/${token}/uploads/upl_${'a'.repeat(20)}/complete`, {
      method: 'POST',
    });
    expect(await statusesOf([complete])).toEqual([429]);
    // ...and another link of the same tenant, from the same address, is not.
    const other = await direct.createLink();
    expect(await statusesOf([await postIntent(direct, other.token)])).toEqual([201]);
  }, 60_000);

  it('holds the budget when each request comes from another address behind a trusted proxy', async () => {
    const { token } = await behindProxy.createLink();
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        postIntent(behindProxy, token, { 'x-forwarded-for': `198.51.100.${i + 1}` }),
      ),
    );
    const statuses = await statusesOf(responses);
    expect(count(statuses, 201)).toBe(PER_LINK);
    expect(count(statuses, 429)).toBe(100 - PER_LINK);
  }, 60_000);

  it('gives tokens of no link no counter: they stay 404 however often they are tried', async () => {
    const unknown = 'A'.repeat(43);
    const responses: Response[] = [];
    for (let i = 0; i < PER_LINK + 5; i++) responses.push(await postIntent(direct, unknown));
    expect(await statusesOf(responses)).toEqual(Array(PER_LINK + 5).fill(404));
  }, 60_000);
});

describe('the per-address budget', () => {
  it('counts an IPv6 /64 as one client, so rotating addresses inside it gains nothing', async () => {
    const gateway = await uploadGatewayHarness({ ratePerMinute: 2, trustProxy: '127.0.0.1' });
    const { url } = await gateway.createLink();
    const statuses: number[] = [];
    for (const host of ['1', '2', 'abcd:1', 'ffff:ffff:ffff']) {
      const response = await fetch(url, { headers: { 'x-forwarded-for': `2001:db8:0:7::${host}` } });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    // Another /64 is another client.
    const neighbour = await fetch(url, { headers: { 'x-forwarded-for': '2001:db8:0:8::1' } });
    expect(neighbour.status).toBe(200);
    await neighbour.arrayBuffer();
  }, 30_000);
});

// The request logs of link-service never carry an API key, however the client spells the URL.

import { auth, type LinkServiceHarness, linkServiceHarness } from '@uplink/testing/link-service';
import { beforeAll, expect, it } from 'vitest';

let h: LinkServiceHarness;
beforeAll(async () => {
  h = await linkServiceHarness();
});

/** A key that looks real; refused (no stream stays open), yet it must not be logged either. */
const key = 'upk_logged_nowhere_0123456789abcdef012345';
const stream = '/v1/tickets/freshdesk/4711/links/stream';

it.each([
  ['?access_token=', `${stream}?access_token=${key}`],
  ['a percent-encoded key name', `${stream}?access%5Ftoken=${key}`],
  ['the key in capitals', `${stream}?ACCESS_TOKEN=${key}`],
  ['a repeated parameter', `${stream}?access_token=x&access_token=${key}`],
  ['a ; separator', `${stream}?lastEventId=1;access_token=${key}`],
  ['a percent-encoded value', `${stream}?access_token=${encodeURIComponent(key).replace('_', '%5F')}`],
  ['?stream_ticket= (a ticket, not a key)', `${stream}?stream_ticket=${key.replace('upk_', 'ust_')}`],
])('never logs the credential of a stream request with %s', async (_, url) => {
  const before = h.infra.logs.length;
  const res = await h.service.app.inject({ method: 'GET', url });
  expect(res.statusCode).toBe(401);
  const text = JSON.stringify(h.infra.logs.slice(before));
  expect(text).toContain(stream);
  expect(text).not.toContain(key.slice(4));
});

it('never logs the Authorization header or cookies', async () => {
  const before = h.infra.logs.length;
  const res = await h.service.app.inject({
    method: 'GET',
    url: '/v1/links/lnk_AAAAAAAAAAAAAAAAAAAA',
    headers: { ...auth(key), cookie: `session=${key}` },
  });
  expect(res.statusCode).toBe(401);
  const text = JSON.stringify(h.infra.logs.slice(before));
  expect(text).toContain('incoming request');
  expect(text).not.toContain(key.slice(4));
});

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './webhook.ts';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"type":"upload.received","deliveryId":"lnk_1:upl_1"}';
const NOW = 1_760_000_000;
const mac = (t: string, body = BODY, secret = SECRET) =>
  createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
const valid = signWebhook(SECRET, BODY, NOW);

// Issue 11, item 12: one exact form, nothing else.
describe('verifyWebhook', () => {
  it('accepts the signature Uplink sends, within the tolerance either way', () => {
    expect(valid).toBe(`t=${NOW},v1=${mac(String(NOW))}`);
    expect(verifyWebhook(SECRET, BODY, valid, NOW)).toBe(true);
    expect(verifyWebhook(SECRET, BODY, valid, NOW + 300)).toBe(true);
    expect(verifyWebhook(SECRET, BODY, valid, NOW - 300)).toBe(true);
  });

  it.each([
    ['trailing junk after the MAC', `${valid}zz`],
    ['trailing junk as another field', `${valid},v0=abc`],
    ['a second, wrong v1', `${valid},v1=${'0'.repeat(64)}`],
    ['a second v1 first', `t=${NOW},v1=${'0'.repeat(64)},v1=${mac(String(NOW))}`],
    ['upper-case hex', `t=${NOW},v1=${mac(String(NOW)).toUpperCase()}`],
    ['a short MAC', `t=${NOW},v1=${mac(String(NOW)).slice(0, 62)}`],
    ['a long MAC', `t=${NOW},v1=${mac(String(NOW))}00`],
    ['t in exponent form', `t=1.76e9,v1=${mac('1760000000')}`],
    ['t in exponent form, MAC over it', `t=1.76e9,v1=${mac('1.76e9')}`],
    ['t with a sign', `t=+${NOW},v1=${mac(`+${NOW}`)}`],
    ['t with a leading zero', `t=0${NOW},v1=${mac(`0${NOW}`)}`],
    ['t with a fraction', `t=${NOW}.0,v1=${mac(`${NOW}.0`)}`],
    ['t in hex', `t=0x${NOW.toString(16)},v1=${mac(`0x${NOW.toString(16)}`)}`],
    ['leading whitespace', ` ${valid}`],
    ['trailing whitespace', `${valid} `],
    ['trailing newline', `${valid}\n`],
    ['whitespace between fields', `t=${NOW}, v1=${mac(String(NOW))}`],
    ['fields swapped', `v1=${mac(String(NOW))},t=${NOW}`],
    ['no timestamp', `v1=${mac(String(NOW))}`],
    ['an empty header', ''],
    ['another secret', signWebhook('whsec-another-secret-000', BODY, NOW)],
    ['another body', signWebhook(SECRET, `${BODY} `, NOW)],
  ])('refuses %s', (_what, header) => {
    expect(verifyWebhook(SECRET, BODY, header, NOW)).toBe(false);
  });

  it('refuses no header, and a timestamp outside the tolerance (a replay)', () => {
    expect(verifyWebhook(SECRET, BODY, null, NOW)).toBe(false);
    expect(verifyWebhook(SECRET, BODY, valid, NOW + 301)).toBe(false);
    expect(verifyWebhook(SECRET, BODY, valid, NOW - 301)).toBe(false);
    expect(verifyWebhook(SECRET, BODY, valid, NOW + 3600, 3600)).toBe(true);
  });
});

// Where a destination may point. A destination's URL decides where its secret is sent, so these
// rules are checked where settings are saved and again before every delivery (a record written
// before they existed, or by hand, may point anywhere).

import { isLoopbackHost, urlRefusal } from '@uplink/egress';
import { Type } from 'typebox';

/** The operator's say over destination addresses (environment, never tenant settings). */
export type DestinationPolicy = {
  /** Loopback URLs (http allowed there) for local development and tests: EGRESS_ALLOW_LOOPBACK. */
  allowLoopback: boolean;
  /** Hosts Freshdesk and Twilio Flex destinations may use besides the services' own. */
  extraHosts: readonly string[];
};

export const DestinationHostsEnv = {
  DESTINATION_EXTRA_HOSTS: Type.String({
    default: '',
    pattern: '^[A-Za-z0-9.:\\[\\],\\s-]*$',
    description:
      'Hosts, comma-separated, that Freshdesk and Twilio Flex destinations may use besides `<account>.freshdesk.com` and `taskrouter.twilio.com` (a regional API host; test doubles). Empty: only those.',
  }),
} as const;

/** The DESTINATION_EXTRA_HOSTS value as host names, as a URL spells them (lower case, [v6]). */
export function extraHostList(value: string): string[] {
  return value
    .split(',')
    .map((host) => host.trim())
    .filter(Boolean)
    .map((host) => new URL(`http://${host}`).hostname);
}

export type DestinationKind = 'freshdesk' | 'twilioFlex' | 'webhook';

/** A usable URL in its normal form, or why it cannot be used. */
export type UrlCheck = { ok: true; url: URL; normalized: string } | { ok: false; problem: string };

const FRESHDESK_HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.freshdesk\.com$/;
const TWILIO_TASKROUTER_HOST = 'taskrouter.twilio.com';

/**
 * Checks a destination URL. Freshdesk: `https://<account>.freshdesk.com`; Twilio Flex:
 * `https://taskrouter.twilio.com` (each, or an operator's extra host); both a bare origin (no
 * path, query or port), since a path could point the key at another API on the same host. A
 * webhook: any https URL on a public address. Never a user name or password, never a fragment;
 * plain http only on loopback, and loopback only when the operator allows it.
 */
export function checkDestinationUrl(
  kind: DestinationKind,
  value: string,
  policy: DestinationPolicy,
): UrlCheck {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem: 'is not a URL' };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, problem: 'must not contain a user name or password' };
  }
  if (url.hash !== '' || value.includes('#'))
    return { ok: false, problem: 'must not contain a fragment (#)' };
  const refused = urlRefusal(url, policy.allowLoopback);
  if (refused !== undefined) {
    return {
      ok: false,
      problem: `must be on a public internet address (${refused}${policy.allowLoopback ? '' : '; loopback is for development only'})`,
    };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return { ok: false, problem: 'must be an https URL (plain http only on loopback, in development)' };
  }
  if (kind === 'webhook') {
    const bare = url.pathname === '/' && url.search === '';
    return { ok: true, url, normalized: bare ? url.origin : url.href };
  }
  if (url.pathname !== '/' || url.search !== '' || value.trim().endsWith('?')) {
    return { ok: false, problem: 'must be the address alone, with no path or query' };
  }
  const extra = policy.extraHosts.includes(url.hostname);
  if (kind === 'freshdesk' && !extra && !(FRESHDESK_HOST.test(url.hostname) && url.port === '')) {
    return { ok: false, problem: 'must be https://<your account>.freshdesk.com' };
  }
  if (kind === 'twilioFlex' && !extra && !(url.hostname === TWILIO_TASKROUTER_HOST && url.port === '')) {
    return { ok: false, problem: `must be https://${TWILIO_TASKROUTER_HOST}` };
  }
  return { ok: true, url, normalized: url.origin };
}

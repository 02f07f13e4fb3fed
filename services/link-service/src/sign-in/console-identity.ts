import { Agent, validate } from '@uplink/contracts';
import { hashSecret } from '@uplink/kit';
import type { IDToken } from 'openid-client';

/**
 * What an agent session's agent may hold: the Agent schema in @uplink/contracts, which the
 * `link.created` and `link.revoked` events carry. Lengths count characters (code points), as the
 * schema's checks do.
 */
const MAX_ID = 200;
const MAX_NAME = 200;

/** How the deployment maps a provider's users to Uplink (the `OIDC_` variables). */
export type IdentityPolicy = {
  /** The claim holding the tenant id, or… */
  tenantClaim?: string | undefined;
  /** …the one tenant of a single-company deployment. */
  tenantId?: string | undefined;
  adminClaim: string;
  /** Unset: nobody is an admin by the provider's say. */
  adminValue?: string | undefined;
};

/** Who signed in, as Uplink sees them. */
export type ConsoleIdentity = {
  tenantId: string;
  role: 'agent' | 'admin';
  agent: { id: string; name: string; email?: string };
};

/**
 * The identity the verified claims give, or undefined when they name no tenant. The agent id is
 * the `sub` claim scoped by its issuer: `sub` is unique only at one provider.
 */
export function consoleIdentity(claims: IDToken, policy: IdentityPolicy): ConsoleIdentity | undefined {
  const tenantId = policy.tenantId ?? stringClaim(claims, policy.tenantClaim);
  if (!tenantId) return undefined;
  const admin = policy.adminValue !== undefined && claimHolds(claims[policy.adminClaim], policy.adminValue);
  const given = stringClaim(claims, 'email');
  // An address the events could not carry (too long, or a form the schema's email format does
  // not take) is left out rather than failing every link the agent makes.
  const email = given && validate(Agent.properties.email, given).ok ? given : undefined;
  const name =
    stringClaim(claims, 'name') ?? stringClaim(claims, 'preferred_username') ?? email ?? claims.sub;
  const id = `${claims.sub}@${claims.iss}`;
  return {
    tenantId,
    role: admin ? 'admin' : 'agent',
    agent: {
      // A very long subject and issuer still make one id per person, just not a readable one.
      id: characters(id) <= MAX_ID ? id : `sha256:${hashSecret(id)}`,
      // Cut between characters, never inside a surrogate pair.
      name: [...name].slice(0, MAX_NAME).join(''),
      ...(email ? { email } : {}),
    },
  };
}

function characters(text: string): number {
  return [...text].length;
}

function stringClaim(claims: IDToken, name: string | undefined): string | undefined {
  const value = name === undefined ? undefined : claims[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A claim is the value, or a list containing it (`groups`, `roles`). */
function claimHolds(claim: unknown, value: string): boolean {
  return Array.isArray(claim) ? claim.includes(value) : claim === value;
}

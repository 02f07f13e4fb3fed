import { PublicConsoleOriginEnv } from '@uplink/kit';
import { type Static, type TObject, Type } from 'typebox';

// https, or plain http on loopback (a provider or a console on the developer's machine).
const LOOPBACK_HTTP = 'http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?';
const SECURE_OR_LOOPBACK_URL = `^(https://|${LOOPBACK_HTTP}(/|$))`;

/** The defaults, also for a configuration that leaves them out (tests, npm start). */
export const SIGN_IN_DEFAULTS = {
  OIDC_SCOPES: 'openid profile email',
  OIDC_ADMIN_CLAIM: 'groups',
  OIDC_PROVIDER_NAME: 'your company account',
  CONSOLE_SESSION_MINUTES: 480,
} as const;

/** The console's sign-in with the company's OpenID Provider: off unless OIDC_ISSUER_URL is set. */
export const SignInEnv = {
  OIDC_ISSUER_URL: Type.Optional(
    Type.String({
      pattern: SECURE_OR_LOOPBACK_URL,
      description:
        "The company's OpenID Provider (its issuer; discovery at `<issuer>/.well-known/openid-configuration`): when set, the console offers sign-in with it (authorization code with PKCE) and needs the other `OIDC_` variables, `PUBLIC_CONSOLE_ORIGIN` and `UPLINK_SECRET_KEYS`. https, or http on loopback for development.",
    }),
  ),
  OIDC_CLIENT_ID: Type.Optional(
    Type.String({ minLength: 1, description: "The console's client id at the OpenID Provider." }),
  ),
  OIDC_CLIENT_SECRET: Type.Optional(
    Type.String({
      minLength: 1,
      writeOnly: true,
      description: "The console's client secret at the OpenID Provider (sent with HTTP Basic).",
    }),
  ),
  OIDC_SCOPES: Type.String({
    pattern: '(^|\\s)openid(\\s|$)',
    default: SIGN_IN_DEFAULTS.OIDC_SCOPES,
    description:
      'Scopes asked for, space-separated, `openid` among them; add what makes the provider put the tenant and admin claims in the ID token (e.g. `groups`).',
  }),
  OIDC_TENANT_CLAIM: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "The ID token claim holding the user's Uplink tenant id (a string), for providers serving several companies. Set it or `OIDC_TENANT_ID`. A user without it is refused.",
    }),
  ),
  OIDC_TENANT_ID: Type.Optional(
    Type.String({
      pattern: '^ten_',
      description:
        'The one tenant every signed-in user belongs to (a single-company deployment), instead of `OIDC_TENANT_CLAIM`.',
    }),
  ),
  OIDC_ADMIN_CLAIM: Type.String({
    minLength: 1,
    default: SIGN_IN_DEFAULTS.OIDC_ADMIN_CLAIM,
    description:
      'The ID token claim that makes a user an admin when it is, or (a list) contains, `OIDC_ADMIN_VALUE`.',
  }),
  OIDC_ADMIN_VALUE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'The value of `OIDC_ADMIN_CLAIM` that gives an admin session (e.g. `uplink-admins`); unset, every signed-in user is an agent.',
    }),
  ),
  OIDC_PROVIDER_NAME: Type.String({
    minLength: 1,
    maxLength: 60,
    default: SIGN_IN_DEFAULTS.OIDC_PROVIDER_NAME,
    description: 'How the console\'s sign-in button names the provider: "Sign in with <name>".',
  }),
  CONSOLE_SESSION_MINUTES: Type.Integer({
    minimum: 5,
    maximum: 720,
    default: SIGN_IN_DEFAULTS.CONSOLE_SESSION_MINUTES,
    description:
      'How long a console session from the identity provider lasts (an agent session, or an admin session for admins); then the agent signs in again.',
  }),
  ...PublicConsoleOriginEnv,
} as const;

export type SignInConfig = Static<TObject<typeof SignInEnv>> & {
  UPLINK_SECRET_KEYS?: string | undefined;
};

/** A ConfigCheck: sign-in with a provider is configured completely, or not at all. */
export function checkSignIn(config: SignInConfig): string[] {
  const partial = [
    'OIDC_CLIENT_ID',
    'OIDC_CLIENT_SECRET',
    'OIDC_TENANT_CLAIM',
    'OIDC_TENANT_ID',
    'OIDC_ADMIN_VALUE',
  ] as const;
  if (config.OIDC_ISSUER_URL === undefined) {
    return partial
      .filter((name) => config[name] !== undefined)
      .map((name) => `${name}: is set, but OIDC_ISSUER_URL is not (sign-in with a provider is off)`);
  }
  const problems: string[] = [];
  for (const name of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'PUBLIC_CONSOLE_ORIGIN'] as const)
    if (config[name] === undefined) problems.push(`${name}: required with OIDC_ISSUER_URL`);
  if ((config.OIDC_TENANT_CLAIM === undefined) === (config.OIDC_TENANT_ID === undefined))
    problems.push('OIDC_TENANT_CLAIM: set it or OIDC_TENANT_ID (one of the two) with OIDC_ISSUER_URL');
  // The sign-in's state (PKCE verifier, state, nonce) travels sealed in a cookie.
  if (config.UPLINK_SECRET_KEYS === undefined)
    problems.push('UPLINK_SECRET_KEYS: required with OIDC_ISSUER_URL (it seals the sign-in in progress)');
  return problems;
}

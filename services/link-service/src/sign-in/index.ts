// The console's sign-in with the company's identity provider (OpenID Connect), as app.ts wires
// it: the settings from the `OIDC_` variables, the routes, the cookie the auth hook reads.
import { SecretBox } from '@uplink/kit';
import { SIGN_IN_CALLBACK_PATH } from '../console/config.ts';
import type { IdentityPolicy } from './console-identity.ts';
import { SIGN_IN_DEFAULTS, type SignInConfig } from './env.ts';
import { IdentityProvider } from './identity-provider.ts';

export { fileSignInRoutes } from './file-sign-in.ts';
export { signInRoutes } from './routes.ts';
export { isAllowedCookieRequest, registerCookies, sessionCookieOf } from './session-cookie.ts';

/** What the sign-in runs on, when the deployment configured a provider. */
export type SignInSettings = {
  provider: IdentityProvider;
  policy: IdentityPolicy;
  box: SecretBox;
  consoleOrigin: string;
  sessionMinutes: number;
  providerName: string;
};

/**
 * The sign-in's settings from the configuration, or undefined when no provider is configured.
 * checkSignIn made sure that, with OIDC_ISSUER_URL, everything else it needs is there.
 */
export function signInSettings(config: Partial<SignInConfig>): SignInSettings | undefined {
  const { OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, PUBLIC_CONSOLE_ORIGIN, UPLINK_SECRET_KEYS } =
    config;
  if (!OIDC_ISSUER_URL) return undefined;
  if (!OIDC_CLIENT_ID || !OIDC_CLIENT_SECRET || !PUBLIC_CONSOLE_ORIGIN || !UPLINK_SECRET_KEYS)
    throw new Error(
      'OIDC_ISSUER_URL needs OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, PUBLIC_CONSOLE_ORIGIN and UPLINK_SECRET_KEYS',
    );
  return {
    provider: new IdentityProvider({
      issuer: OIDC_ISSUER_URL,
      clientId: OIDC_CLIENT_ID,
      clientSecret: OIDC_CLIENT_SECRET,
      redirectUri: `${PUBLIC_CONSOLE_ORIGIN}${SIGN_IN_CALLBACK_PATH}`,
      scopes: config.OIDC_SCOPES ?? SIGN_IN_DEFAULTS.OIDC_SCOPES,
    }),
    policy: {
      tenantClaim: config.OIDC_TENANT_CLAIM,
      tenantId: config.OIDC_TENANT_ID,
      adminClaim: config.OIDC_ADMIN_CLAIM ?? SIGN_IN_DEFAULTS.OIDC_ADMIN_CLAIM,
      adminValue: config.OIDC_ADMIN_VALUE,
    },
    box: SecretBox.parse(UPLINK_SECRET_KEYS),
    consoleOrigin: PUBLIC_CONSOLE_ORIGIN,
    sessionMinutes: config.CONSOLE_SESSION_MINUTES ?? SIGN_IN_DEFAULTS.CONSOLE_SESSION_MINUTES,
    providerName: config.OIDC_PROVIDER_NAME ?? SIGN_IN_DEFAULTS.OIDC_PROVIDER_NAME,
  };
}

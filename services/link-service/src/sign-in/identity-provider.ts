// The relying party's side of OpenID Connect, through openid-client: discovery, the authorization
// request (code flow with PKCE S256, state and nonce) and the callback, where openid-client
// checks the state, exchanges the code with the PKCE verifier and verifies the ID token
// (signature, issuer, audience, expiry, nonce). Nothing here parses a JWT by hand.
import * as oidc from 'openid-client';
import { PENDING_SIGN_IN_TTL_MS, type PendingSignIn } from './pending-sign-in.ts';

export type IdentityProviderOptions = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `<PUBLIC_CONSOLE_ORIGIN>/console/sign-in/callback`, as registered at the provider. */
  redirectUri: string;
  scopes: string;
};

/** The provider could not be reached (discovery, token endpoint or keys): try again later. */
export class ProviderUnreachable extends Error {
  override name = 'ProviderUnreachable';
}

/**
 * The provider's answer did not verify (state, PKCE, nonce, signature, issuer, audience; the
 * token endpoint refusing the code is one of these), or the provider sent the user back with an
 * error instead of a code (`access_denied`, …): nobody is signed in.
 */
export class SignInNotVerified extends Error {
  override name = 'SignInNotVerified';
  /** The `error` the provider sent the user back with, instead of a code. */
  readonly providerError: string | undefined;
  constructor(message: string, providerError: string | undefined, options: { cause: unknown }) {
    super(message, options);
    this.providerError = providerError;
  }
}

export class IdentityProvider {
  readonly #options: IdentityProviderOptions;
  /** Discovered on first use, not while the app is built (no I/O there); forgotten when it fails. */
  #configuration: Promise<oidc.Configuration> | undefined;

  constructor(options: IdentityProviderOptions) {
    this.#options = options;
  }

  #discover(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this.#options;
    this.#configuration ??= oidc
      .discovery(
        new URL(issuer),
        clientId,
        undefined,
        oidc.ClientSecretBasic(clientSecret),
        // Plain http is accepted only where the env schema allows it: a provider on loopback.
        new URL(issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {},
      )
      .catch((error: unknown) => {
        this.#configuration = undefined;
        throw new ProviderUnreachable(`discovery at ${issuer} failed: ${messageOf(error)}`, { cause: error });
      });
    return this.#configuration;
  }

  /** A new authorization request: the URL to send the browser to and what the callback checks. */
  async begin(returnTo: string, nowMs: number): Promise<{ url: URL; pending: PendingSignIn }> {
    const configuration = await this.#discover();
    const pending: PendingSignIn = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      returnTo,
      expiresAt: nowMs + PENDING_SIGN_IN_TTL_MS,
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.#options.redirectUri,
      scope: this.#options.scopes,
      response_type: 'code',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, pending };
  }

  /** The verified ID token's claims for the callback URL the browser came back with. */
  async finish(callbackUrl: URL, pending: PendingSignIn): Promise<oidc.IDToken> {
    const configuration = await this.#discover();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        pkceCodeVerifier: pending.codeVerifier,
        idTokenExpected: true,
      });
    } catch (error) {
      if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError) {
        const said = `${error.error}${error.error_description ? ` (${error.error_description})` : ''}`;
        throw error instanceof oidc.AuthorizationResponseError
          ? new SignInNotVerified(`the provider did not sign the user in: ${said}`, error.error, {
              cause: error,
            })
          : new SignInNotVerified(`the token endpoint refused the code: ${said}`, undefined, {
              cause: error,
            });
      }
      if (error instanceof TypeError)
        throw new ProviderUnreachable(`the token request failed: ${messageOf(error)}`, { cause: error });
      throw new SignInNotVerified(`the provider's answer did not verify: ${messageOf(error)}`, undefined, {
        cause: error,
      });
    }
    const claims = tokens.claims();
    // idTokenExpected makes openid-client refuse an answer without one; this says so to the compiler.
    if (!claims) throw new SignInNotVerified('no ID token', undefined, { cause: undefined });
    return claims;
  }
}

/** The error's message and those of its causes (openid-client wraps oauth4webapi's exact one). */
function messageOf(error: unknown): string {
  const messages: string[] = [];
  for (let at: unknown = error; at instanceof Error && messages.length < 4; at = at.cause)
    messages.push(at.message);
  return messages.length > 0 ? messages.join(': ') : String(error);
}

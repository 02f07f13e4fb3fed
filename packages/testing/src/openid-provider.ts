// A real OpenID Provider on loopback for sign-in tests: oidc-provider (panva's certified
// implementation) with one confidential client, the given users, and a minimal login page in
// place of its development interactions. Consent is implied (the client is first-party), so
// signing in is one form: the user name.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeHtml } from '@uplink/kit';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { closeWhenDone } from './auto-close.ts';

/** A user's claims (besides `sub`, their login name): `name`, `email` and any others, e.g. the tenant. */
export type OpenIdUserClaims = Record<string, unknown>;

export type OpenIdProviderOptions = {
  /** Login name (the `sub` claim) → claims. */
  users: Record<string, OpenIdUserClaims>;
  /** Where the provider may send the browser back with a code. */
  redirectUri: string;
};

export type OpenIdProviderUnderTest = {
  /** The issuer URL, `http://127.0.0.1:<port>`; discovery at `/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /**
   * Follows an authorization URL the way a browser would, signing in as `login` without the form
   * (`login_hint`), as a browser with no session at the provider: the URL the provider
   * redirects to (the relying party's callback with its code and state), not followed.
   */
  authorize(authorizationUrl: string, login: string): Promise<URL>;
  /**
   * Why the token endpoint refused each code it refused, in order, as the provider itself says
   * (`code_verifier does not match code_challenge`, …): its answer to the client only says `invalid_grant`.
   */
  tokenRefusals: string[];
};

const STANDARD_CLAIMS: Record<string, string[]> = {
  profile: ['name'],
  email: ['email', 'email_verified'],
};

/** Starts the provider; it stops when the test or file that started it is done. */
export async function startOpenIdProvider(options: OpenIdProviderOptions): Promise<OpenIdProviderUnderTest> {
  const { users, redirectUri } = options;
  const clientId = 'uplink-console';
  const clientSecret = randomBytes(24).toString('base64url');
  const standard = new Set(Object.values(STANDARD_CLAIMS).flat());
  // Other claims (a tenant, groups) come with `openid` itself, as Entra ID's `tid` and `groups` do.
  const extraClaims = [...new Set(Object.values(users).flatMap(Object.keys))].filter((c) => !standard.has(c));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: {
      keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-signing-key', alg: 'RS256', use: 'sig' }],
    },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub', ...extraClaims], ...STANDARD_CLAIMS },
    // Every claim in the ID token, as the relying party reads them (no userinfo call).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    // Lifetimes of its artifacts in seconds, given so it does not warn about its defaults.
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    findAccount: (_ctx, sub) => {
      const claims = users[sub];
      return claims ? { accountId: sub, claims: () => ({ sub, ...claims }) } : undefined;
    },
    // A first-party client: whatever it asks for is granted, so no consent page.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { client, session, params } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(String(params?.scope ?? 'openid'));
      await grant.save();
      return grant;
    },
  });

  const loginPage = (uid: string, error = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><h1>Sign in to the test identity provider</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>User name <input name="login" autocomplete="off"></label>
<button type="submit">Sign in</button>
</form></body></html>`;

  const interaction = async (request: IncomingMessage, response: ServerResponse) => {
    const details = await provider.interactionDetails(request, response);
    const finish = (login: string) =>
      provider.interactionFinished(
        request,
        response,
        { login: { accountId: login } },
        { mergeWithLastSubmission: false },
      );
    const hint = details.params.login_hint;
    if (request.method === 'GET' && typeof hint === 'string' && users[hint]) return finish(hint);
    if (request.method === 'POST') {
      let body = '';
      for await (const chunk of request) body += chunk;
      const login = new URLSearchParams(body).get('login') ?? '';
      if (users[login]) return finish(login);
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(loginPage(details.uid, `No user ${login} here.`));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(loginPage(details.uid));
  };

  const tokenRefusals: string[] = [];
  provider.on('grant.error', (_ctx, error) => {
    tokenRefusals.push(error.error_detail ?? error.message);
  });

  const callback = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!request.url?.startsWith('/interaction/')) {
      callback(request, response);
      return;
    }
    interaction(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  closeWhenDone(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  const authorize = async (authorizationUrl: string, login: string): Promise<URL> => {
    // The provider's cookies (interaction, then session), as a fresh browser keeps them.
    const jar = new Map<string, string>();
    const first = new URL(authorizationUrl);
    first.searchParams.set('login_hint', login);
    let url = first;
    for (let hop = 0; hop < 10; hop++) {
      if (url.origin !== issuer) return url;
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      const answer = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      for (const set of answer.headers.getSetCookie()) {
        const [pair = ''] = set.split(';');
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      const location = answer.headers.get('location');
      if (!location)
        throw new Error(`the provider answered ${answer.status} at ${url}: ${await answer.text()}`);
      url = new URL(location, url);
    }
    throw new Error('the provider kept redirecting');
  };

  return { issuer, clientId, clientSecret, authorize, tokenRefusals };
}

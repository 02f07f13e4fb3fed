// Signing in to the console with the company's identity provider: a real OpenID Provider
// (oidc-provider) on loopback, link-service on the test adapters, Chromium for the agent's side.
// Then each check the relying party makes (state, PKCE verifier, nonce, the sealed sign-in in
// progress) tampered with in turn: each is refused with a page and no session.

import { freePort, launchChromium, screenshot, seriousAxeViolations } from '@uplink/dev-servers';
import { hashSecret, SecretBox, type Service } from '@uplink/kit';
import { captureLogger, type LogLine } from '@uplink/testing';
import {
  API_KEY,
  type LinkServiceHarness,
  linkServiceHarness,
  SECRET_KEYS,
} from '@uplink/testing/link-service';
import { type OpenIdProviderUnderTest, startOpenIdProvider } from '@uplink/testing/openid-provider';
import { type Browser, chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGN_IN_CALLBACK_PATH, SIGN_IN_PATH, SIGN_OUT_PATH } from '../../src/console/config.ts';
import {
  openPendingSignIn,
  PENDING_SIGN_IN_COOKIE,
  type PendingSignIn,
  sealPendingSignIn,
} from '../../src/sign-in/pending-sign-in.ts';
import { SESSION_COOKIE } from '../../src/sign-in/session-cookie.ts';

let harness: LinkServiceHarness;
let idp: OpenIdProviderUnderTest;
let service: Service;
let browser: Browser;
let origin: string;
let tenantId: string;
let logs: LogLine[];
let ticketCounter = 0;

beforeAll(async () => {
  [harness, browser] = await Promise.all([linkServiceHarness(), launchChromium(chromium)]);
  tenantId = await harness.store.tenants.ensureBootstrapTenant(API_KEY, new Date());
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  idp = await startOpenIdProvider({
    redirectUri: `${origin}${SIGN_IN_CALLBACK_PATH}`,
    users: {
      alice: {
        name: 'Alice Agent',
        email: 'alice@acme.example',
        uplink_tenant: tenantId,
        groups: ['support'],
      },
      ada: {
        name: 'Ada Admin',
        email: 'ada@acme.example',
        uplink_tenant: tenantId,
        groups: ['uplink-admins'],
      },
      nora: { name: 'Nora Nobody', email: 'nora@acme.example' },
      uma: { name: 'Uma Unknown', uplink_tenant: 'ten_nosuchtenant0000000' },
    },
  });
  const captured = captureLogger('link-service');
  logs = captured.lines;
  service = await harness.build({
    logger: captured.logger,
    config: {
      OIDC_ISSUER_URL: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      OIDC_TENANT_CLAIM: 'uplink_tenant',
      OIDC_ADMIN_VALUE: 'uplink-admins',
      OIDC_PROVIDER_NAME: 'Acme SSO',
      PUBLIC_CONSOLE_ORIGIN: origin,
      // Open streams notice a revoked session within half a second.
      LINK_STREAM_CREDENTIAL_CHECK_MS: 500,
    },
  });
  await service.app.listen({ host: '127.0.0.1', port });
}, 60_000);

const box = () => SecretBox.parse(SECRET_KEYS);

/** The `name=value` pairs of an answer's Set-Cookie headers. */
function setCookies(answer: Response): Record<string, string> {
  return Object.fromEntries(
    answer.headers.getSetCookie().map((line) => {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

/** /console/sign-in as a browser starts it: the provider's authorization URL and the sealed cookie. */
async function startSignIn(): Promise<{ authorizationUrl: string; pendingCookie: string }> {
  const answer = await fetch(`${origin}${SIGN_IN_PATH}?return=${encodeURIComponent('/console?ticket=1')}`, {
    redirect: 'manual',
  });
  expect(answer.status).toBe(303);
  const pendingCookie = setCookies(answer)[PENDING_SIGN_IN_COOKIE];
  if (!pendingCookie) throw new Error('no sign-in cookie');
  return { authorizationUrl: answer.headers.get('location') ?? '', pendingCookie };
}

/** The callback as the browser would call it, with the cookie it holds. */
function callback(url: URL, pendingCookie: string | undefined): Promise<Response> {
  const target = new URL(url.pathname + url.search, origin);
  return fetch(target, {
    redirect: 'manual',
    headers: pendingCookie ? { cookie: `${PENDING_SIGN_IN_COOKIE}=${pendingCookie}` } : {},
  });
}

/** A callback that ended without a session: its page, and which check the log says refused it. */
async function expectRefused(answer: Response, status: number, heading: string): Promise<string> {
  const page = await answer.text();
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page).toContain(`<h1 id="refusal-heading">${heading}</h1>`);
  expect(page).toContain('href="/console"');
  const cookies = setCookies(answer);
  expect(cookies[SESSION_COOKIE]).toBeUndefined();
  // The sign-in in progress is spent either way.
  expect(cookies[PENDING_SIGN_IN_COOKIE]).toBe('');
  return page;
}

/** What a tampered cookie holds: the honest sign-in with `change` applied, sealed again. */
function reseal(pendingCookie: string, change: Partial<PendingSignIn>): string {
  const pending = openPendingSignIn(box(), pendingCookie, Date.now());
  if (!pending) throw new Error('the sign-in cookie does not open');
  return sealPendingSignIn(box(), { ...pending, ...change });
}

const lastRefusal = () => logs.filter((line) => line.type === 'sign-in' && line.level === 40).at(-1);

describe('signing in with the identity provider', () => {
  it('an agent signs in in Chromium, creates a link, signs out; the old cookie is then refused', {
    timeout: 60_000,
  }, async () => {
    const startedAt = new Date().toISOString();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${origin}/console`);
      await page.getByRole('heading', { name: 'Administrators: sign in with an API key' }).waitFor();
      expect(await seriousAxeViolations(page)).toEqual([]);
      await screenshot(page, 'console-sign-in-provider');
      await page.getByRole('link', { name: 'Sign in with Acme SSO' }).click();
      await page.getByLabel('User name').fill('alice');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Ticket id').waitFor();
      expect(new URL(page.url()).pathname).toBe('/console');

      const [cookie] = (await context.cookies(origin)).filter((c) => c.name === SESSION_COOKIE);
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
      expect(cookie?.value).toMatch(/^ups_/);
      // The script cannot read it.
      expect(await page.evaluate('document.cookie')).not.toContain('ups_');

      const ticketId = `S-${process.pid}-${++ticketCounter}`;
      await page.getByLabel('Helpdesk').selectOption('freshdesk');
      await page.getByLabel('Ticket id').fill(ticketId);
      await page.getByRole('button', { name: 'Open ticket' }).click();
      await page.getByRole('heading', { name: `Ticket ${ticketId} (Freshdesk)` }).waitFor();
      // The live stream opens with a stream ticket the session cookie asked for.
      await page.getByText('Live', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Request a file' }).click();
      const dialog = page.getByRole('dialog', { name: 'Request a file' });
      await dialog.getByRole('button', { name: 'Create link' }).click();
      await page
        .getByRole('listitem', { name: /^Link #/ })
        .getByText('Pending')
        .waitFor();
      // The link says who made it: the agent the provider named, scoped by its issuer.
      const [link] = await harness.store.links.listByTicket(
        tenantId,
        { provider: 'freshdesk', id: ticketId },
        10,
      );
      expect(link?.createdBy).toEqual({
        kind: 'agent',
        id: `alice@${idp.issuer}`,
        name: 'Alice Agent',
        email: 'alice@acme.example',
        source: 'console',
      });
      // An agent never sees the settings.
      expect(await page.getByRole('button', { name: 'Settings' }).isHidden()).toBe(true);
      await screenshot(page, 'console-signed-in-provider');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('link', { name: 'Sign in with Acme SSO' }).waitFor();
      await expect
        .poll(async () => (await context.cookies(origin)).some((c) => c.name === SESSION_COOKIE))
        .toBe(false);
      // The session is revoked, not just forgotten: the old cookie no longer signs anyone in.
      const replayed = await fetch(`${origin}/v1/whoami`, {
        headers: { cookie: `${SESSION_COOKIE}=${cookie?.value}` },
      });
      expect(replayed.status).toBe(401);
      // The audit log has the session's start and its end, each once, by the agent themselves.
      const agent = link?.createdBy;
      const sessionEntries = async (action: 'agent_session.created' | 'agent_session.revoked') =>
        (
          await harness.store.audit.list(tenantId, { action, actor: `agent:alice@${idp.issuer}`, limit: 50 })
        ).filter((entry) => entry.at >= startedAt);
      const [started, ...moreStarted] = await sessionEntries('agent_session.created');
      expect(moreStarted).toStrictEqual([]);
      expect(started).toMatchObject({ actor: agent, details: { source: 'console', role: 'agent' } });
      expect(await sessionEntries('agent_session.revoked')).toMatchObject([
        { actor: agent, details: { sessionId: started?.details.sessionId, signedOut: true } },
      ]);
    } finally {
      await context.close();
    }
  });

  it('a user without the tenant claim is refused with a page, and gets no session', {
    timeout: 30_000,
  }, async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${origin}/console`);
      await page.getByRole('link', { name: 'Sign in with Acme SSO' }).click();
      await page.getByLabel('User name').fill('nora');
      const answer = page.waitForResponse((response) => response.url().includes(SIGN_IN_CALLBACK_PATH));
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect((await answer).status()).toBe(403);
      await page.getByRole('heading', { name: 'No Uplink access for your account' }).waitFor();
      await page
        .getByText(/You signed in as Nora Nobody, but your account does not say which Uplink tenant/)
        .waitFor();
      expect((await context.cookies(origin)).map((c) => c.name)).not.toContain(SESSION_COOKIE);
      expect(await seriousAxeViolations(page)).toEqual([]);
      await screenshot(page, 'console-sign-in-no-tenant');
    } finally {
      await context.close();
    }
  });

  it('a user whose tenant does not exist is refused too', async () => {
    const { authorizationUrl, pendingCookie } = await startSignIn();
    const page = await expectRefused(
      await callback(await idp.authorize(authorizationUrl, 'uma'), pendingCookie),
      403,
      'No Uplink access for your account',
    );
    expect(page).toContain('the Uplink tenant your account names does not exist');
  });

  it('an admin of the provider gets an admin session; an agent an agent session', async () => {
    for (const [login, role] of [
      ['ada', 'admin'],
      ['alice', 'agent'],
    ] as const) {
      const { authorizationUrl, pendingCookie } = await startSignIn();
      const answer = await callback(await idp.authorize(authorizationUrl, login), pendingCookie);
      expect(answer.status).toBe(303);
      expect(answer.headers.get('location')).toBe('/console?ticket=1');
      const session = setCookies(answer)[SESSION_COOKIE];
      const who = await fetch(`${origin}/v1/whoami`, {
        headers: { cookie: `${SESSION_COOKIE}=${session}` },
      });
      expect(await who.json()).toEqual({
        tenantId,
        role,
        actor: {
          kind: 'agent',
          id: `${login}@${idp.issuer}`,
          name: login === 'ada' ? 'Ada Admin' : 'Alice Agent',
          email: `${login}@acme.example`,
          source: 'console',
        },
      });
    }
  });
});

describe('a console whose session is revoked while it is open', () => {
  it('is told by its live stream and asks the agent to sign in again', { timeout: 60_000 }, async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${origin}/console?provider=freshdesk&ticket=R-${process.pid}`);
      await page.getByRole('link', { name: 'Sign in with Acme SSO' }).click();
      await page.getByLabel('User name').fill('alice');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Live', { exact: true }).waitFor();

      // Revoked elsewhere (an admin, another tab's sign-out): the page makes no call of its own.
      const [cookie] = (await context.cookies(origin)).filter((c) => c.name === SESSION_COOKIE);
      const session = await harness.store.agentSessions.findUsable(
        hashSecret(cookie?.value ?? ''),
        new Date(),
      );
      expect(session).not.toBeNull();
      await harness.store.agentSessions.revoke(tenantId, session?.sessionId ?? '', new Date());
      await page.getByText('Your session ended. Sign in again.').waitFor({ timeout: 10_000 });
      await page.getByRole('link', { name: 'Sign in with Acme SSO' }).waitFor();
    } finally {
      await context.close();
    }
  });
});

describe('each check of the provider answer, tampered with, is refused', () => {
  it('a changed state', async () => {
    const { authorizationUrl, pendingCookie } = await startSignIn();
    const url = await idp.authorize(authorizationUrl, 'alice');
    url.searchParams.set('state', 'forged-state');
    await expectRefused(await callback(url, pendingCookie), 400, 'Sign-in refused');
    expect(lastRefusal()?.reason).toMatch(/state/);
  });

  it("another sign-in's state (the callback of one, the cookie of another)", async () => {
    const first = await startSignIn();
    const second = await startSignIn();
    const url = await idp.authorize(first.authorizationUrl, 'alice');
    await expectRefused(await callback(url, second.pendingCookie), 400, 'Sign-in refused');
    expect(lastRefusal()?.reason).toMatch(/state/);
  });

  it('a replayed callback: without the spent cookie, and with it (the code is used up)', async () => {
    const { authorizationUrl, pendingCookie } = await startSignIn();
    const url = await idp.authorize(authorizationUrl, 'alice');
    const honest = await callback(url, pendingCookie);
    expect(honest.status).toBe(303);
    expect(setCookies(honest)[SESSION_COOKIE]).toMatch(/^ups_/);
    // The browser dropped the sign-in cookie with the answer: nothing is in progress any more.
    await expectRefused(await callback(url, undefined), 400, 'This sign-in has expired');
    // Someone who kept a copy of the cookie: the provider refuses the code a second time.
    await expectRefused(await callback(url, pendingCookie), 400, 'Sign-in refused');
    expect(lastRefusal()?.reason).toMatch(/invalid_grant/);
    expect(idp.tokenRefusals.at(-1)).toBe('authorization code already consumed');
  });

  it('a wrong PKCE verifier: the token endpoint refuses the code', async () => {
    const { authorizationUrl, pendingCookie } = await startSignIn();
    const url = await idp.authorize(authorizationUrl, 'alice');
    const tampered = reseal(pendingCookie, { codeVerifier: 'x'.repeat(43) });
    await expectRefused(await callback(url, tampered), 400, 'Sign-in refused');
    expect(lastRefusal()?.reason).toMatch(/invalid_grant/);
    expect(idp.tokenRefusals.at(-1)).toMatch(/^code_verifier does not match code_challenge/);
  });

  it('a wrong nonce: the ID token is refused', async () => {
    const { authorizationUrl, pendingCookie } = await startSignIn();
    const url = await idp.authorize(authorizationUrl, 'alice');
    const tampered = reseal(pendingCookie, { nonce: 'another-nonce' });
    await expectRefused(await callback(url, tampered), 400, 'Sign-in refused');
    expect(lastRefusal()?.reason).toMatch(/"nonce"/);
  });

  it('a sign-in cookie altered without the key, or expired, holds no sign-in', async () => {
    const { authorizationUrl, pendingCookie } = await startSignIn();
    const url = await idp.authorize(authorizationUrl, 'alice');
    const flipped = `${pendingCookie.slice(0, 20)}${pendingCookie[20] === 'A' ? 'B' : 'A'}${pendingCookie.slice(21)}`;
    await expectRefused(await callback(url, flipped), 400, 'This sign-in has expired');
    const expired = reseal(pendingCookie, { expiresAt: Date.now() - 1 });
    await expectRefused(await callback(url, expired), 400, 'This sign-in has expired');
    expect(
      openPendingSignIn(SecretBox.parse(SecretBox.generateSpec()), pendingCookie, Date.now()),
    ).toBeUndefined();
  });
});

describe('a sign-in the provider does not complete', () => {
  it('the user sent back with an error (access_denied) gets a page saying so', async () => {
    const { authorizationUrl, pendingCookie } = await startSignIn();
    const back = new URL(SIGN_IN_CALLBACK_PATH, origin);
    back.searchParams.set('error', 'access_denied');
    back.searchParams.set('state', new URL(authorizationUrl).searchParams.get('state') ?? '');
    back.searchParams.set('iss', idp.issuer);
    const page = await expectRefused(
      await callback(back, pendingCookie),
      403,
      'Your identity provider did not sign you in',
    );
    expect(page).toContain('It answered: access_denied.');
  });

  it('a provider that cannot be reached: a page, and the console still serves', async () => {
    const closedPort = await freePort();
    const unreachable = await harness.build({
      config: {
        OIDC_ISSUER_URL: `http://127.0.0.1:${closedPort}`,
        OIDC_CLIENT_ID: 'uplink-console',
        OIDC_CLIENT_SECRET: 'unused',
        OIDC_TENANT_CLAIM: 'uplink_tenant',
        PUBLIC_CONSOLE_ORIGIN: origin,
      },
    });
    const answer = await unreachable.app.inject({ url: SIGN_IN_PATH });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.body).toContain('Your identity provider could not be reached');
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect((await unreachable.app.inject({ url: '/console' })).statusCode).toBe(200);
  });
});

describe('the session cookie and cross-site requests', () => {
  async function agentCookie(): Promise<string> {
    const { authorizationUrl, pendingCookie } = await startSignIn();
    const answer = await callback(await idp.authorize(authorizationUrl, 'alice'), pendingCookie);
    return `${SESSION_COOKIE}=${setCookies(answer)[SESSION_COOKIE]}`;
  }

  it('a write with the cookie needs the console origin; reads do not', async () => {
    const cookie = await agentCookie();
    const body = JSON.stringify({ ticket: { provider: 'freshdesk', id: `C-${process.pid}` } });
    const create = (headers: Record<string, string>) =>
      fetch(`${origin}/v1/links`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body,
      });
    expect((await create({})).status).toBe(403);
    expect((await create({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await create({ origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect((await create({ origin })).status).toBe(201);
    const list = await fetch(`${origin}/v1/tickets/freshdesk/C-${process.pid}/links`, {
      headers: { cookie },
    });
    expect(list.status).toBe(200);
  });

  it('signing out from another origin is refused; from the console it revokes the session', async () => {
    const cookie = await agentCookie();
    const signOut = (headers: Record<string, string>) =>
      fetch(`${origin}${SIGN_OUT_PATH}`, { method: 'POST', headers: { cookie, ...headers } });
    expect((await signOut({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await fetch(`${origin}/v1/whoami`, { headers: { cookie } })).status).toBe(200);
    const out = await signOut({ origin });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(new RegExp(`^${SESSION_COOKIE}=;`));
    expect((await fetch(`${origin}/v1/whoami`, { headers: { cookie } })).status).toBe(401);
  });
});

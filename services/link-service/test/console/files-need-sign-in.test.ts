// "Files need sign-in": a tenant whose viewer links and previews open only for its signed-in
// agents. upload-gateway (the viewer), link-service (the console, its session cookie and the
// sign-in step) and a real OpenID Provider on loopback, on one store and Azurite: each refusal on
// the HTTP level, then an agent in Chromium who opens a viewer link, signs in and sees the file.

import {
  FILE_GRANT_PARAMETER,
  FILE_SIGN_IN_PARAMETER,
  FILE_SIGN_IN_PATH,
  type FileUrl,
} from '@uplink/contracts';
import { freePort, launchChromium, screenshot } from '@uplink/dev-servers';
import { hashSecret, systemClock } from '@uplink/kit';
import { startService, startTestInfra, type TestInfra } from '@uplink/testing';
import { SECRET_KEYS } from '@uplink/testing/link-service';
import { type OpenIdProviderUnderTest, startOpenIdProvider } from '@uplink/testing/openid-provider';
import {
  API_KEY,
  shareFile,
  type UploadGatewayHarness,
  uploadGatewayHarness,
} from '@uplink/testing/upload-gateway';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLinkService } from '../../src/app.ts';
import { SIGN_IN_CALLBACK_PATH } from '../../src/console/config.ts';
import { SESSION_COOKIE } from '../../src/sign-in/session-cookie.ts';

let infra: TestInfra;
let gateway: UploadGatewayHarness;
let idp: OpenIdProviderUnderTest;
let browser: Browser;
let origin: string;
let otherTenantId: string;

beforeAll(async () => {
  infra = await startTestInfra();
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  const [started, launched] = await Promise.all([
    uploadGatewayHarness({ infra, consoleOrigin: origin }),
    launchChromium(chromium),
  ]);
  gateway = started;
  browser = launched;
  idp = await startOpenIdProvider({
    redirectUri: `${origin}${SIGN_IN_CALLBACK_PATH}`,
    users: { alice: { name: 'Alice Agent', email: 'alice@acme.example', uplink_tenant: gateway.tenantId } },
  });
  const built = await buildLinkService({
    config: {
      PUBLIC_UPLOAD_BASE_URL: `${gateway.baseUrl}/u/`,
      PUBLIC_FILE_BASE_URL: `${gateway.baseUrl}/f/`,
      UPLINK_BOOTSTRAP_API_KEY: API_KEY,
      UPLINK_SECRET_KEYS: SECRET_KEYS,
      OIDC_ISSUER_URL: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      OIDC_TENANT_CLAIM: 'uplink_tenant',
      OIDC_PROVIDER_NAME: 'Acme SSO',
      PUBLIC_CONSOLE_ORIGIN: origin,
    },
    logger: infra.logger,
    store: gateway.store,
    bus: await infra.connectBus('link-service'),
    clock: systemClock,
    storage: gateway.storage,
    outbox: { sweepIntervalMs: 200, staleAfterMs: 300 },
  });
  await startService(built, port);
  otherTenantId = (await gateway.store.tenants.createTenant('Globex', new Date()))._id;
  await gateway.store.tenants.updateSettings(gateway.tenantId, { filesNeedSignIn: true }, new Date());
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const audio = { fileName: 'voice-message.webm', contentType: 'audio/webm', category: 'audio' } as const;
const shared = () => shareFile(gateway, gateway.store.shares, audio);

/** An agent session of the tenant (or another), as the console's sign-in mints them. */
async function sessionOf(tenantId: string): Promise<string> {
  const { token } = await gateway.store.agentSessions.create(
    {
      tenantId,
      role: 'agent',
      agent: { id: 'agent-1', name: 'Ada Agent' },
      source: 'console',
      ttlMinutes: 60,
    },
    new Date(),
  );
  return token;
}

const get = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { redirect: 'manual', headers });

/** The console's sign-in step for a viewer token, with the session cookie when given. */
function openAtConsole(fileToken: string, session?: string): Promise<Response> {
  const url = new URL(FILE_SIGN_IN_PATH, origin);
  url.searchParams.set(FILE_SIGN_IN_PARAMETER, fileToken);
  return get(url.href, session ? { cookie: `${SESSION_COOKIE}=${session}` } : {});
}

/** The viewer URL with a grant the console handed a signed-in agent of the tenant for `fileToken`. */
async function grantedViewerUrl(fileToken: string, session: string): Promise<string> {
  const answer = await openAtConsole(fileToken, session);
  expect(answer.status).toBe(303);
  const location = answer.headers.get('location') ?? '';
  expect(location.startsWith(`${gateway.baseUrl}/f/${fileToken}?${FILE_GRANT_PARAMETER}=ufg_`)).toBe(true);
  return location;
}

/** The player's source on a viewer page, as the browser reads the attribute. */
function playerSource(html: string): string {
  const src = /<audio class="player" controls preload="metadata" src="([^"]+)"/.exec(html)?.[1];
  if (src === undefined) throw new Error('no player on the page');
  return src.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');
}

async function bytesAt(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('viewer links of a tenant whose files need sign-in', () => {
  it('send an agent without a session to the console, which asks them to sign in; no storage URL is shown', async () => {
    const file = await shared();
    const opened = await get(file.url);
    expect(opened.status).toBe(303);
    const location = new URL(opened.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(`${origin}${FILE_SIGN_IN_PATH}`);
    expect(location.searchParams.get(FILE_SIGN_IN_PARAMETER)).toBe(file.token);
    expect(await opened.text()).not.toContain(gateway.storageOrigin);

    // Without a cookie, the console first navigates again from its own page (the cookie is
    // SameSite=Strict: a redirect chain begun on another site leaves it out)…
    const bounce = await get(location.href);
    expect(bounce.status).toBe(200);
    const again = bounce.headers.get('refresh')?.replace(/^0; url=/, '') ?? '';
    expect(again).toBe(`${location.pathname}${location.search}&bounced=1`);
    // …then, still without a session, offers the identity provider's sign-in, coming back here.
    const signIn = await get(new URL(again, origin).href);
    expect(signIn.status).toBe(401);
    const page = await signIn.text();
    expect(page).toContain('Sign in to open this file');
    const returnTo = `${FILE_SIGN_IN_PATH}?${FILE_SIGN_IN_PARAMETER}=${file.token}`;
    expect(page).toContain(`href="/console/sign-in?return=${encodeURIComponent(returnTo)}"`);
    expect(page).not.toContain(gateway.storageOrigin);
    // An expired or revoked session is the same as none.
    const revoked = await sessionOf(gateway.tenantId);
    const found = await gateway.store.agentSessions.findUsable(hashSecret(revoked), new Date());
    await gateway.store.agentSessions.revoke(gateway.tenantId, found?.sessionId ?? '', new Date());
    expect((await openAtConsole(file.token, revoked)).status).toBe(401);
  });

  it('play for an agent session of the tenant: the grant opens the page and its player serves the bytes', async () => {
    const file = await shared();
    const viewer = await get(await grantedViewerUrl(file.token, await sessionOf(gateway.tenantId)));
    expect(viewer.status).toBe(200);
    const html = await viewer.text();
    expect(html).toContain('<h2 id="file-name" class="file-name">voice-message.webm</h2>');
    expect((await bytesAt(playerSource(html))).equals(file.bytes)).toBe(true);
  });

  it("answer another tenant's session with 404, and hand it no grant", async () => {
    const file = await shared();
    const answer = await openAtConsole(file.token, await sessionOf(otherTenantId));
    expect(answer.status).toBe(404);
    expect(answer.headers.get('location')).toBeNull();
    const page = await answer.text();
    expect(page).toContain('File not found');
    // The same page as for a file that does not exist at all.
    const unknown = await openAtConsole(`${file.token.slice(0, -4)}AAAA`, await sessionOf(gateway.tenantId));
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe(page);
  });

  it('refuse a grant used once already, and a grant for another file (which it uses up)', async () => {
    const session = await sessionOf(gateway.tenantId);
    const [first, second] = [await shared(), await shared()];
    const granted = await grantedViewerUrl(first.token, session);
    expect((await get(granted)).status).toBe(200);
    const replayed = await get(granted);
    expect(replayed.status).toBe(403);
    const replayedPage = await replayed.text();
    expect(replayedPage).toContain('This sign-in was already used');
    expect(replayedPage).not.toContain(gateway.storageOrigin);

    const grant = new URL(await grantedViewerUrl(first.token, session)).searchParams.get(
      FILE_GRANT_PARAMETER,
    );
    const elsewhere = await get(`${second.url}?${FILE_GRANT_PARAMETER}=${grant}`);
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.text()).not.toContain(gateway.storageOrigin);
    expect((await get(`${first.url}?${FILE_GRANT_PARAMETER}=${grant}`)).status).toBe(403);
  });

  it('in a frame (Flex Embedded), offer the sign-in in a tab of its own', async () => {
    const file = await shared();
    const framed = await get(file.url, { 'sec-fetch-dest': 'iframe' });
    expect(framed.status).toBe(403);
    const page = await framed.text();
    expect(page).toContain(`href="./${file.token}" target="_blank" rel="noopener noreferrer"`);
    expect(page).not.toContain(gateway.storageOrigin);
  });

  it('stay capabilities for a tenant that did not turn it on', async () => {
    await gateway.store.tenants.updateSettings(gateway.tenantId, { filesNeedSignIn: false }, new Date());
    try {
      const file = await shared();
      const opened = await get(file.url);
      expect(opened.status).toBe(200);
      expect((await bytesAt(playerSource(await opened.text()))).equals(file.bytes)).toBe(true);
    } finally {
      await gateway.store.tenants.updateSettings(gateway.tenantId, { filesNeedSignIn: true }, new Date());
    }
  });
});

describe('previews of a tenant whose files need sign-in', () => {
  /** A received link holding a shared file, as completion leaves it. */
  async function receivedLink(): Promise<{ linkId: string; bytes: Buffer }> {
    const file = await shared();
    const { linkId } = await gateway.createLink();
    const pending = await gateway.links.getById(linkId);
    if (!pending || !(await gateway.links.markReceived(pending, { files: [file.file] }, new Date())))
      throw new Error(`link ${linkId} could not be received`);
    return { linkId, bytes: file.bytes };
  }
  const fileUrl = (linkId: string, credential: string) =>
    fetch(`${origin}/v1/links/${linkId}/file-url`, { headers: { authorization: `Bearer ${credential}` } });

  it("are refused to an API key, given to the tenant's agent session, and 404 for another tenant's", async () => {
    const { linkId, bytes } = await receivedLink();
    const byKey = await fileUrl(linkId, API_KEY);
    expect(byKey.status).toBe(403);
    expect(((await byKey.json()) as { error: { message: string } }).error.message).toMatch(
      /files need sign-in/,
    );

    const bySession = await fileUrl(linkId, await sessionOf(gateway.tenantId));
    expect(bySession.status).toBe(200);
    const { url } = (await bySession.json()) as FileUrl;
    expect((await bytesAt(url)).equals(bytes)).toBe(true);

    expect((await fileUrl(linkId, await sessionOf(otherTenantId))).status).toBe(404);
  });
});

describe('an agent in Chromium', () => {
  it('opens a viewer link, signs in with the identity provider, and sees the file', {
    timeout: 60_000,
  }, async () => {
    const file = await shared();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(file.url);
      await page.getByRole('heading', { name: 'Sign in to open this file' }).waitFor();
      await page.getByRole('link', { name: 'Sign in with Acme SSO' }).click();
      await page.getByLabel('User name').fill('alice');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'voice-message.webm' }).waitFor();
      const viewer = new URL(page.url());
      expect(viewer.origin + viewer.pathname).toBe(file.url);
      const src = await page.locator('audio.player').getAttribute('src');
      expect((await bytesAt(src ?? '')).equals(file.bytes)).toBe(true);
      await screenshot(page, 'viewer-after-sign-in');

      // Signed in now: another file of the tenant opens without a second sign-in.
      const next = await shared();
      await page.goto(next.url);
      await page.getByRole('heading', { name: 'voice-message.webm' }).waitFor();
      expect(await page.locator('audio.player').getAttribute('src')).toContain(gateway.storageOrigin);
    } finally {
      await context.close();
    }
  });
});

// The double's ticket page in headless Chromium, hosting the fixture app: its frames run on the
// app's origin, get the documented client API from the ticket page, and reach the editor, modals,
// notifications and each other the way Freshdesk lets them.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@uplink/dev-servers';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listenOnLoopback } from '../loopback.ts';
import { type FreshworksDouble, startFreshworksDouble } from './freshworks-double.ts';

const SECRET = 'fixture-secure-api-key-0123456789';
const upstream = createServer((req, res) => {
  req.resume();
  res.writeHead(201, { 'content-type': 'application/json' }).end(`{"echoed":"${req.url}"}`);
});

let double: FreshworksDouble;
let browser: Browser;

beforeAll(async () => {
  const upstreamOrigin = await listenOnLoopback(upstream);
  [double, browser] = await Promise.all([
    startFreshworksDouble({
      appFolder: fileURLToPath(new URL('./fixture-app/', import.meta.url)),
      iparams: { api_host: 'api.fixture.example', api_key: SECRET, greeting: 'Hello from the iparams' },
      hosts: { 'api.fixture.example': upstreamOrigin },
      ticket: { id: 1001, subject: 'The printer is on fire' },
      loggedInUser: { id: 7, name: 'Ada Agent', email: 'ada@acme.example' },
      editorText: 'Hi Sam, thanks for writing in.',
      appName: 'Fixture',
    }),
    launchChromium(chromium),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await double?.stop();
  upstream.close();
});

function sidebar(page: Page) {
  return page.frameLocator('iframe[title="Fixture (ticket sidebar)"]');
}

it('hosts the app: sidebar data, a template call, the editor icon, a modal, setValue, send/receive, notify', {
  timeout: 30_000,
}, async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await page.goto(double.ticketUrl);
    await sidebar(page).getByText('Ticket 1001: The printer is on fire').waitFor();
    await sidebar(page).getByText('Agent Ada Agent').waitFor();
    await sidebar(page).getByText('Hello from the iparams').waitFor();
    // The app's frame is on its own origin, not the ticket page's.
    const frameOrigins = page.frames().map((frame) => new URL(frame.url()).origin);
    expect(frameOrigins).toEqual([double.hostOrigin, double.appOrigin]);

    await sidebar(page).getByRole('button', { name: 'Echo' }).click();
    await sidebar(page)
      .getByText('201 {"echoed":"/echo/1001?source=fixture&greeting=Hello+from+the+iparams"}')
      .waitFor();
    expect(double.invocations.at(-1)).toMatchObject({
      name: 'echo',
      location: 'ticket_sidebar',
      status: 201,
    });

    await page
      .getByRole('toolbar', { name: 'Editor toolbar' })
      .getByRole('button', { name: 'Fixture' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Fixture dialog' });
    await dialog.waitFor();
    const modal = page.frameLocator('iframe[title="Fixture dialog"]');
    await modal.getByText('Opened from editor').waitFor();
    await modal.getByLabel('Text to insert').fill('Please send us a photo.');
    await modal.getByRole('button', { name: 'Insert' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const editor = page.getByRole('textbox', { name: 'Reply editor' });
    // Inserted at the end, after the agent's own text, which stays.
    expect(await editor.locator(':scope > div').allTextContents()).toEqual([
      'Hi Sam, thanks for writing in.',
      'Please send us a photo.',
    ]);
    await sidebar(page).getByText('Received: Please send us a photo.').waitFor();
    await page.getByRole('status').getByText('Inserted').waitFor();

    // A click elsewhere hides the editor app (app.deactivated); its icon shows it again (app.activated).
    const icon = page
      .getByRole('toolbar', { name: 'Editor toolbar' })
      .getByRole('button', { name: 'Fixture' });
    expect(await icon.getAttribute('aria-expanded')).toBe('true');
    await editor.click();
    expect(await icon.getAttribute('aria-expanded')).toBe('false');
    await icon.click();
    await dialog.waitFor();
    await modal.getByText('Opened from editor').waitFor();
    expect(errors).toEqual([]);

    // Nothing in the page or its frames holds the secure iparam.
    for (const frame of page.frames()) expect(await frame.content()).not.toContain(SECRET);
  } finally {
    await page.close();
  }
});

it('answers a page as Freshdesk would: no secure iparam, no setValue on what it does not play, close only for modals', {
  timeout: 30_000,
}, async () => {
  const page = await browser.newPage();
  try {
    await page.goto(double.ticketUrl);
    await sidebar(page).getByText('Ticket 1001: The printer is on fire').waitFor();
    const frame = page.frames().find((candidate) => candidate.url().endsWith('/app/sidebar.html'));
    if (frame === undefined) throw new Error('no sidebar frame');
    /** Runs `call` with the page's client in the sidebar frame: its value, or what it rejected with. */
    const outcome = (call: string) =>
      frame.evaluate(`app.initialized().then((client) => ${call}).then(
        (value) => ({ value }),
        (error) => ({ error: error?.message ?? error }),
      )`);
    expect(await outcome('client.iparams.get()')).toEqual({
      value: { api_host: 'api.fixture.example', greeting: 'Hello from the iparams' },
    });
    expect(await outcome("client.iparams.get('api_key')")).toEqual({
      error: 'no such (non-secure) iparam: api_key',
    });
    expect(await outcome("client.data.get('domainName')")).toEqual({
      value: { domainName: 'acme.freshdesk.com' },
    });
    expect(await outcome('client.instance.context()')).toEqual({
      value: { instanceId: '1', location: 'ticket_sidebar' },
    });
    expect(await outcome('client.instance.close()')).toEqual({ error: 'only a modal can be closed' });
    expect(await outcome("client.interface.trigger('setValue', { id: 'subject', text: 'x' })")).toEqual({
      error: 'setValue on subject is not played by the double',
    });
    expect(
      await outcome("client.interface.trigger('showNotify', { type: 'error', message: 'x' })"),
    ).toMatchObject({
      error: expect.stringMatching(/^showNotify needs a type/),
    });
    expect(await outcome("client.request.invokeTemplate('undeclared', {})")).toEqual({
      error: {
        status: 404,
        headers: {},
        response: 'Request template not found',
        errorSource: 'APP',
        attempts: 0,
      },
    });
    // click on reply opens the reply editor with the text, after what is there; script is dropped.
    await outcome(
      `client.interface.trigger('click', { id: 'reply', text: 'See <b>this</b><img src=x onerror="window.hacked=1">' })`,
    );
    const editor = page.getByRole('textbox', { name: 'Reply editor' });
    expect(await editor.locator(':scope > div').allTextContents()).toEqual([
      'Hi Sam, thanks for writing in.',
      'See this',
    ]);
    expect(await editor.locator('img').getAttribute('onerror')).toBeNull();
    expect(await page.evaluate('window.hacked')).toBeUndefined();
  } finally {
    await page.close();
  }
});

// Steps of the whole flow that several browser tests take alike: the agent's console and the
// customer's voice message. Written against the pages' accessible names, as a person sees them.
import type { Locator, Page } from 'playwright-core';

/** Signs in to the console at `consoleUrl` and opens a ticket; resolves once the panel is live. */
export async function openTicketInConsole(
  page: Page,
  consoleUrl: string,
  apiKey: string,
  ticket: { provider: string; id: string },
): Promise<void> {
  const served = await page.goto(consoleUrl);
  if (served?.status() !== 200) throw new Error(`console answered ${served?.status()}`);
  await page.getByLabel('API key', { exact: true }).fill(apiKey);
  await page.keyboard.press('Enter');
  await page.getByLabel('Helpdesk').selectOption(ticket.provider);
  await page.getByLabel('Ticket id').fill(ticket.id);
  await page.getByRole('button', { name: 'Open ticket' }).click();
  await page.getByText('Live', { exact: true }).waitFor();
}

/** "Request a file" with a message; returns the customer's link from the reply text. */
export async function requestFileInConsole(page: Page, message: string): Promise<string> {
  await page.getByRole('button', { name: 'Request a file' }).click();
  const dialog = page.getByRole('dialog', { name: 'Request a file' });
  await dialog.getByLabel('Message to the customer (optional)').fill(message);
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const reply = page.getByLabel('Reply text');
  const deadline = Date.now() + 5_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline) {
    url = /https?:\/\/\S+\/u\/[A-Za-z0-9_-]+/.exec(await reply.inputValue())?.[0];
    if (!url) await page.waitForTimeout(50);
  }
  if (!url) throw new Error('no link in the reply text');
  return url;
}

/** On the customer's page: records a voice message of about `ms` and waits for its playback. */
export async function recordVoiceMessage(page: Page, ms = 1_200): Promise<void> {
  await page.getByRole('button', { name: 'Start recording' }).click();
  await page.getByRole('button', { name: 'Stop recording' }).waitFor();
  await page.waitForTimeout(ms);
  await page.getByRole('button', { name: 'Stop recording' }).click();
  await page.getByLabel('Your recording').waitFor();
}

/** Sends the recorded voice message; resolves on the "Sent!" screen. */
export async function sendVoiceMessage(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Send voice message' }).click();
  await page.getByRole('heading', { name: 'Sent!' }).waitFor();
}

/** The length the player knows before playing, in seconds: Infinity when the file does not say. */
export function playerDuration(player: Locator): Promise<number> {
  return player.evaluate((element) => (element as unknown as { duration: number }).duration);
}

/**
 * In the console's links panel: opens the preview of the link `item` shows and waits until its
 * player has data to play; resolves with the player.
 */
export async function openPreview(item: Locator): Promise<Locator> {
  await item.getByRole('button', { name: /^Preview the file of link #/ }).click();
  const player = item.getByLabel(/^File of link #\S+: /);
  await player.waitFor();
  await waitUntilPlayable(player);
  return player;
}

/** Waits until an <audio> or <video> element has data to play (a preview that really loaded). */
async function waitUntilPlayable(player: Locator, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const playable = await player.evaluate((element) => {
      const media = element as unknown as { readyState: number; duration: number };
      return media.readyState >= 2 || media.duration > 0;
    });
    if (playable) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the media element never became playable within ${timeoutMs} ms`);
}

// Chromium through playwright-core, as a desktop or as a phone.
import { CHROMIUM_PHONE, launchChromium, PAGE_PROBE } from '@uplink/dev-servers';
import { chromium } from 'playwright-core';
import { type Engine, PROBLEM_PROBE, PROBLEMS_SEEN } from './engine.ts';

export async function openChromium(profile: 'desktop' | 'phone'): Promise<Engine> {
  const browser = await launchChromium(chromium);
  return {
    name: `chromium-${profile}`,
    version: `Chromium ${browser.version()}`,
    async open(url) {
      const context = await browser.newContext(
        profile === 'phone' ? CHROMIUM_PHONE : { viewport: { width: 1000, height: 900 } },
      );
      await context.addInitScript({ content: PAGE_PROBE });
      await context.addInitScript({ content: PROBLEM_PROBE });
      const page = await context.newPage();
      const uncaught: string[] = [];
      page.on('pageerror', (error) => uncaught.push(`page error: ${error.message}`));
      await page.goto(url);
      return {
        evaluate: (expression) => page.evaluate(expression),
        click: (selector) => page.click(selector),
        setInputFile: (selector, path) => page.setInputFiles(selector, path),
        screenshot: (options) => page.screenshot(options),
        problems: async () => [...uncaught, ...((await page.evaluate(PROBLEMS_SEEN)) as string[])],
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

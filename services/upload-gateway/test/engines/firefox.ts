// Firefox ESR through puppeteer-core over WebDriver BiDi.
import { launchFirefox, PAGE_PROBE } from '@uplink/dev-servers';
import puppeteer from 'puppeteer-core';
import { type Engine, PROBLEM_PROBE, PROBLEMS_SEEN } from './engine.ts';

export async function openFirefox(): Promise<Engine> {
  const browser = await launchFirefox(puppeteer);
  return {
    name: 'firefox',
    version: (await browser.version()).replace(/^firefox\//, 'Firefox ESR '),
    async open(url) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1000, height: 900 });
      await page.evaluateOnNewDocument(PAGE_PROBE);
      await page.evaluateOnNewDocument(PROBLEM_PROBE);
      const uncaught: string[] = [];
      page.on('pageerror', (error) => uncaught.push(`page error: ${String(error)}`));
      await page.goto(url);
      return {
        evaluate: (expression) => page.evaluate(expression),
        click: (selector) => page.click(selector),
        async setInputFile(selector, path) {
          const input = await page.$(selector);
          if (!input) throw new Error(`no ${selector} on the page`);
          await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(path);
        },
        screenshot: (options) =>
          page.screenshot({ path: options.path as `${string}.png`, fullPage: options.fullPage }),
        problems: async () => [...uncaught, ...((await page.evaluate(PROBLEMS_SEEN)) as string[])],
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

// Firefox ESR through puppeteer-core over WebDriver BiDi, drawing on a virtual display of its own:
// headless Firefox has no screen for the Screen tab to share.
import { launchFirefox, PAGE_PROBE, startVirtualDisplay } from '@uplink/dev-servers';
import puppeteer from 'puppeteer-core';
import { type Engine, PROBLEM_PROBE, PROBLEMS_SEEN } from './engine.ts';

export async function openFirefox(): Promise<Engine> {
  const display = await startVirtualDisplay();
  let browser: Awaited<ReturnType<typeof puppeteer.launch>>;
  try {
    browser = await launchFirefox(puppeteer, { display: display.name });
  } catch (error) {
    await display.stop();
    throw error;
  }
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
    async close() {
      await browser.close();
      await display.stop();
    },
  };
}

// WebKitGTK's MiniBrowser through selenium-webdriver over classic WebDriver, on Xvfb.
import { writeFile } from 'node:fs/promises';
import { PAGE_PROBE, startWebKitDriver, WEBKIT_CAPABILITIES } from '@uplink/dev-servers';
import { Builder, By, Capabilities } from 'selenium-webdriver';
import { type Engine, PROBLEM_PROBE, PROBLEMS_SEEN } from './engine.ts';

export async function openWebKit(): Promise<Engine> {
  const server = await startWebKitDriver();
  const session = () =>
    new Builder().usingServer(server.url).withCapabilities(new Capabilities(WEBKIT_CAPABILITIES)).build();
  // MiniBrowser has one window per session: a fresh page is a fresh session.
  const probe = await session();
  const version = `WebKitGTK ${String((await probe.getCapabilities()).get('browserVersion'))}`;
  await probe.quit();
  return {
    name: 'webkit',
    version,
    async open(url) {
      const driver = await session();
      await driver.manage().window().setRect({ width: 1000, height: 900 });
      await driver.get(url);
      // No preload scripts without BiDi: the probes go in once the page has loaded.
      await driver.executeScript(`${PAGE_PROBE}\n${PROBLEM_PROBE}`);
      // WebDriver runs a function body: `return` gives back the expression's value (awaited).
      // A trailing semicolon (axe-core's bundle ends with one) would not fit in the parentheses.
      const evaluate = (expression: string) =>
        driver.executeScript(`return (${expression.replace(/;\s*$/, '')}\n);`);
      return {
        evaluate,
        click: async (selector) => driver.findElement(By.css(selector)).click(),
        // WebKitWebDriver takes a file path typed into an input, even a visually hidden one.
        setInputFile: async (selector, path) => driver.findElement(By.css(selector)).sendKeys(path),
        async screenshot(options) {
          // MiniBrowser on Xvfb may hand out the last frame it painted: let it paint what the page is now.
          await driver.executeScript(
            'return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))',
          );
          await writeFile(options.path, await driver.takeScreenshot(), 'base64');
        },
        problems: async () => (await evaluate(PROBLEMS_SEEN)) as string[],
        close: () => driver.quit(),
      };
    },
    close: () => server.stop(),
  };
}

// What the browser tests check alike on any page: axe-core's accessibility rules and full-page
// screenshots for a person to look at. Pages are kept structural (playwright-core's `Page` fits),
// so this package does not depend on playwright.
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the browser tests leave their screenshots: `test-artifacts/screenshots/` at the repository root. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../test-artifacts/screenshots/', import.meta.url));

/**
 * An init script (`context.addInitScript({ content: PAGE_PROBE })`, which a page's CSP does not
 * apply to) that records Content-Security-Policy violations in `window.__probe.csp` and marks the
 * document with a random `window.__probe.loadedAt`, so a test can tell that it never reloaded.
 * Later init scripts may add their own fields to `window.__probe`.
 */
export const PAGE_PROBE = `(() => {
  const probe = { csp: [], loadedAt: Math.random() };
  Object.defineProperty(window, '__probe', { value: probe });
  document.addEventListener('securitypolicyviolation', (event) => {
    probe.csp.push(event.violatedDirective + ' ' + event.blockedURI);
  });
})();`;

/** The CSP violations PAGE_PROBE has seen in the page's current document. */
export function cspViolations(page: Pick<CheckedPage, 'evaluate'>): Promise<string[]> {
  return page.evaluate('window.__probe.csp') as Promise<string[]>;
}

/** What the helpers need of playwright-core's `Page`. */
export type CheckedPage = {
  evaluate(expression: string): Promise<unknown>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
};

type AxeResults = { violations: { id: string; impact?: string | null; nodes: { target: unknown }[] }[] };

let axeSourceText: Promise<string> | undefined;
const axeSource = (): Promise<string> => {
  axeSourceText ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return axeSourceText;
};

/**
 * Runs axe-core on the page as it is now and returns its serious and critical violations, one
 * `rule: targets` line each (an empty list passes). axe goes in through the debugger protocol,
 * not as a script element, so the page's Content-Security-Policy (rightly) stays in force; after a
 * navigation it is injected again.
 */
export async function seriousAxeViolations(page: Pick<CheckedPage, 'evaluate'>): Promise<string[]> {
  if ((await page.evaluate('typeof window.axe')) === 'undefined') await page.evaluate(await axeSource());
  const results = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as AxeResults;
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${JSON.stringify(violation.nodes.map((node) => node.target))}`);
}

/** A full-page screenshot at `test-artifacts/screenshots/<name>.png`. */
export async function screenshot(page: Pick<CheckedPage, 'screenshot'>, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

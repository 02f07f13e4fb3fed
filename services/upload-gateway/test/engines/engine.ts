// One browser engine as the customer-flow tests see it: the few things the flow does, the same
// in Chromium (playwright-core), Firefox (puppeteer-core over WebDriver BiDi) and WebKitGTK
// (selenium-webdriver over classic WebDriver). Each engine's adapter is a file beside this one.
import type { CheckedPage } from '@uplink/dev-servers';

export type EnginePage = CheckedPage & {
  /** The value of a JavaScript expression in the page (a promise is awaited), as JSON. */
  evaluate(expression: string): Promise<unknown>;
  /** Clicks the element `selector` finds with the driver's own input, as the customer would. */
  click(selector: string): Promise<void>;
  /** Picks the file at `path` in the file input `selector`. */
  setInputFile(selector: string, path: string): Promise<void>;
  /** Uncaught errors, unhandled rejections, console.error calls and CSP violations seen so far. */
  problems(): Promise<string[]>;
  close(): Promise<void>;
};

export type Engine = {
  /** Short and file-name safe: `chromium-desktop`, `firefox`, … */
  name: string;
  /** The engine and its version, as the browser reports it. */
  version: string;
  /** Opens `url` in a fresh context (no cookies or storage shared with other pages). */
  open(url: string): Promise<EnginePage>;
  close(): Promise<void>;
};

/**
 * Installed before the page's own scripts where the driver can (Chromium, Firefox), right after
 * the page loaded where it cannot (WebKitGTK takes no BiDi session, so no preload scripts):
 * collects what the page reports as going wrong in `window.__probe.problems`. PAGE_PROBE from
 * @uplink/dev-servers goes first (it makes `window.__probe` and records CSP violations).
 */
export const PROBLEM_PROBE = `(() => {
  const probe = window.__probe;
  probe.problems = [];
  window.addEventListener('error', (event) => probe.problems.push('error: ' + event.message));
  window.addEventListener('unhandledrejection', (event) =>
    probe.problems.push('unhandled rejection: ' + String(event.reason)),
  );
  const consoleError = console.error.bind(console);
  console.error = (...args) => {
    probe.problems.push('console.error: ' + args.map(String).join(' '));
    consoleError(...args);
  };
})();`;

/** What PAGE_PROBE and PROBLEM_PROBE collected in the page's current document. */
export const PROBLEMS_SEEN = '[...window.__probe.problems, ...window.__probe.csp.map((v) => "CSP: " + v)]';

// Firefox ESR for the browser tests (headless, or on a virtual display to share its screen): Debian's `firefox-esr` package, driven by
// puppeteer-core over WebDriver BiDi (no geckodriver, no downloaded browser).
import { aptGetInstall, isExecutable, once } from './binaries.ts';
import { log } from './log.ts';

/** Where Debian's `firefox-esr` package puts the browser. */
export const FIREFOX_PATH = '/usr/bin/firefox-esr';

/**
 * A fake camera and microphone with every permission prompt answered "allow", and a mock audio
 * backend: without a sound card the audio context otherwise stays suspended (a flat waveform).
 */
export const FIREFOX_PREFS: Readonly<Record<string, boolean>> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.cubeb.force_mock_context': true,
};

const firefoxInstallHint = (): string =>
  `Install Firefox ESR as root, e.g. 'apt-get install -y firefox-esr' on Debian (${FIREFOX_PATH}).`;

/** Path to Firefox ESR, installing Debian's `firefox-esr` when it is missing and we are root. */
export function ensureFirefox(): Promise<string> {
  return once('firefox-esr', async () => {
    if (await isExecutable(FIREFOX_PATH)) return FIREFOX_PATH;
    await aptGetInstall('firefox-esr', {
      missing: `Firefox ESR is not installed (looked for ${FIREFOX_PATH})`,
      duration: 'about a minute',
      hint: firefoxInstallHint,
    });
    if (!(await isExecutable(FIREFOX_PATH))) {
      throw new Error(
        `'apt-get install -y firefox-esr' succeeded, but there is no ${FIREFOX_PATH}.\n${firefoxInstallHint()}`,
      );
    }
    log(`firefox-esr: ${FIREFOX_PATH}`);
    return FIREFOX_PATH;
  });
}

/** What launchFirefox needs of puppeteer-core (kept structural, so this package does not depend on it). */
export type FirefoxLauncher<Browser> = {
  launch(options: {
    browser: 'firefox';
    protocol: 'webDriverBiDi';
    executablePath: string;
    headless: boolean;
    env?: Record<string, string | undefined>;
    extraPrefsFirefox: Record<string, boolean>;
    timeout: number;
  }): Promise<Browser>;
};

export type LaunchFirefoxOptions = {
  /**
   * An X display (`:412`, from startVirtualDisplay) to draw on instead of running headless:
   * headless Firefox has no screen, so sharing one fails (NotFoundError); on a display,
   * getDisplayMedia shares it without asking (permissions are off).
   */
  display?: string;
};

/** Starts Firefox ESR with fake media devices, headless unless given a display. Pass puppeteer-core's default export. */
export async function launchFirefox<Browser>(
  launcher: FirefoxLauncher<Browser>,
  options: LaunchFirefoxOptions = {},
): Promise<Browser> {
  return launcher.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: await ensureFirefox(),
    headless: options.display === undefined,
    ...(options.display !== undefined ? { env: { ...process.env, DISPLAY: options.display } } : {}),
    extraPrefsFirefox: { ...FIREFOX_PREFS },
    timeout: 60_000,
  });
}

// Headless Chromium for the browser tests: Debian's package (playwright's own browser downloads
// are not used), driven by playwright-core.
import { aptGetInstall, findOnPath, isExecutable, once } from './binaries.ts';
import { log } from './log.ts';

/** Where Debian's `chromium` package puts the browser. UPLINK_CHROMIUM overrides it. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Headless, no sandbox (containers run as root), nothing that phones home, and fake camera and
 * microphone (a test pattern and a beep) with every permission prompt answered "allow".
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

const chromiumInstallHint = (): string =>
  `Install Chromium as root, e.g. 'apt-get install -y chromium' on Debian (${CHROMIUM_PATH}), or set ` +
  'UPLINK_CHROMIUM to the path of a Chromium or Chrome binary.';

async function findChromium(): Promise<string | undefined> {
  const configured = process.env.UPLINK_CHROMIUM;
  if (configured) {
    if (await isExecutable(configured)) return configured;
    throw new Error(`UPLINK_CHROMIUM is '${configured}', which is not an executable file.`);
  }
  if (await isExecutable(CHROMIUM_PATH)) return CHROMIUM_PATH;
  return findOnPath('chromium');
}

/**
 * Path to Chromium. When it is missing and we are root, installs Debian's `chromium` package
 * (about 20 s); otherwise throws, saying what to install.
 */
export function ensureChromium(): Promise<string> {
  return once('chromium', async () => {
    const existing = await findChromium();
    if (existing) return existing;
    await aptGetInstall('chromium', {
      missing: `Chromium is not installed (looked for ${CHROMIUM_PATH} and chromium on PATH)`,
      duration: 'about 20 s',
      hint: chromiumInstallHint,
    });
    const installed = await findChromium();
    if (!installed) {
      throw new Error(
        `'apt-get install -y chromium' succeeded, but there is no ${CHROMIUM_PATH}.\n${chromiumInstallHint()}`,
      );
    }
    log(`chromium: ${installed}`);
    return installed;
  });
}

/** What launchChromium needs of playwright-core's `chromium` (kept structural, so this package does not depend on it). */
export type ChromiumLauncher<Browser> = {
  launch(options: { executablePath: string; args: string[]; timeout?: number }): Promise<Browser>;
};

/**
 * Starts headless Chromium with fake media devices. Pass playwright-core's `chromium`:
 * `const browser = await launchChromium(chromium)`.
 */
export async function launchChromium<Browser>(
  launcher: ChromiumLauncher<Browser>,
  options: { extraArgs?: readonly string[] } = {},
): Promise<Browser> {
  const executablePath = await ensureChromium();
  return launcher.launch({
    executablePath,
    args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])],
    timeout: 30_000,
  });
}

/**
 * A phone as the tests emulate it (playwright-core's `browser.newContext(CHROMIUM_PHONE)`): a
 * Pixel-sized touch screen, and the user agent Chrome on Android sends.
 */
export const CHROMIUM_PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36',
} as const;

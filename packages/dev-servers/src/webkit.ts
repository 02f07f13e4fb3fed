// WebKitGTK for the browser tests: Debian's `webkit2gtk-driver` (WebKitWebDriver, which drives
// WebKitGTK's MiniBrowser) on an Xvfb display, since MiniBrowser has no headless mode. Tests talk
// to the driver over classic WebDriver (WebKitGTK refuses BiDi sessions).
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { aptGetInstall, once } from './binaries.ts';
import {
  canConnect,
  createTempDir,
  type ManagedProcess,
  removeTempDir,
  startProcess,
} from './child-process.ts';
import { log } from './log.ts';
import { freePort } from './ports.ts';
import { ensureXvfb, startXvfb, XVFB_PATH } from './xvfb.ts';

export const WEBKIT_DRIVER_PATH = '/usr/bin/WebKitWebDriver';
export const MINIBROWSER_PATH = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const GSTREAMER_PLUGINS = '/usr/lib/x86_64-linux-gnu/gstreamer-1.0';

const webkitInstallHint = (): string =>
  "Install WebKitGTK's driver and a virtual display as root, e.g. 'apt-get install -y webkit2gtk-driver xvfb' " +
  `on Debian (${WEBKIT_DRIVER_PATH}, ${MINIBROWSER_PATH}, ${XVFB_PATH}).`;

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** `path` (a program, or a plugin library) is there, or `packageName` is installed to bring it. */
async function ensureInstalled(path: string, packageName: string, duration: string): Promise<void> {
  if (await exists(path)) return;
  await aptGetInstall(packageName, { missing: `${path} is missing`, duration, hint: webkitInstallHint });
  if (!(await exists(path))) {
    throw new Error(
      `'apt-get install -y ${packageName}' succeeded, but there is no ${path}.\n${webkitInstallHint()}`,
    );
  }
}

/**
 * WebKitWebDriver, MiniBrowser, Xvfb and the GStreamer encoders WebKitGTK's MediaRecorder needs,
 * installing Debian's packages when missing and we are root. The encoders are only recommended by
 * the driver's packages: without them `new MediaRecorder()` throws NotSupportedError (AAC comes
 * from gstreamer1.0-libav, the MP4 muxing parts from gstreamer1.0-plugins-bad).
 */
export function ensureWebKit(): Promise<string> {
  return once('webkit2gtk-driver', async () => {
    await ensureInstalled(WEBKIT_DRIVER_PATH, 'webkit2gtk-driver', 'about a minute');
    await ensureInstalled(MINIBROWSER_PATH, 'webkit2gtk-driver', 'about a minute');
    await ensureXvfb();
    await ensureInstalled(join(GSTREAMER_PLUGINS, 'libgstlibav.so'), 'gstreamer1.0-libav', 'about 30 s');
    await ensureInstalled(
      join(GSTREAMER_PLUGINS, 'libgstopenh264.so'),
      'gstreamer1.0-plugins-bad',
      'about 30 s',
    );
    log(`webkit2gtk-driver: ${WEBKIT_DRIVER_PATH}`);
    return WEBKIT_DRIVER_PATH;
  });
}

/**
 * The capabilities of a MiniBrowser session with mock camera and microphone. `args` replaces
 * MiniBrowser's defaults, so `--automation` must be among them (without it no session starts).
 */
export const WEBKIT_CAPABILITIES = {
  browserName: 'MiniBrowser',
  'webkitgtk:browserOptions': {
    binary: MINIBROWSER_PATH,
    args: ['--automation', '--enable-mock-capture-devices=true'],
  },
} as const;

export type WebKitDriver = {
  /** The WebDriver endpoint, e.g. `http://127.0.0.1:4444`. */
  url: string;
  stop(): Promise<void>;
};

/** Starts Xvfb on a display of its own and WebKitWebDriver drawing on it. */
export async function startWebKitDriver(): Promise<WebKitDriver> {
  await ensureWebKit();
  const dir = await createTempDir('uplink-webkit-');
  const processes: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const started of processes.reverse()) await started.stop();
    await removeTempDir(dir);
  };
  try {
    const display = await startXvfb(dir);
    processes.push(display.process);
    const port = await freePort();
    processes.push(
      await startProcess({
        name: 'WebKitWebDriver',
        command: WEBKIT_DRIVER_PATH,
        args: [`--port=${port}`, '--host=127.0.0.1'],
        logFile: join(dir, 'webkit-webdriver.log'),
        env: { ...process.env, DISPLAY: display.name },
        ready: () => canConnect(port),
      }),
    );
    return { url: `http://127.0.0.1:${port}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

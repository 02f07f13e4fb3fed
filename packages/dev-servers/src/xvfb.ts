// Xvfb, a virtual X display, for browsers that need a screen: WebKitGTK's MiniBrowser (it has no
// headless mode) and Firefox recording the screen (headless Firefox has no screen to share).
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { aptGetInstall, once } from './binaries.ts';
import { createTempDir, type ManagedProcess, removeTempDir, startProcess } from './child-process.ts';

export const XVFB_PATH = '/usr/bin/Xvfb';

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

const xvfbInstallHint = (): string =>
  `Install a virtual display as root, e.g. 'apt-get install -y xvfb' on Debian (${XVFB_PATH}).`;

/** Xvfb, installing Debian's `xvfb` when it is missing and we are root. */
export function ensureXvfb(): Promise<string> {
  return once('xvfb', async () => {
    if (await exists(XVFB_PATH)) return XVFB_PATH;
    await aptGetInstall('xvfb', {
      missing: `${XVFB_PATH} is missing`,
      duration: 'about 10 s',
      hint: xvfbInstallHint,
    });
    if (!(await exists(XVFB_PATH))) {
      throw new Error(
        `'apt-get install -y xvfb' succeeded, but there is no ${XVFB_PATH}.\n${xvfbInstallHint()}`,
      );
    }
    return XVFB_PATH;
  });
}

/**
 * Xvfb on a display number no other X server holds (engineers and test runs share the machine:
 * a taken number makes Xvfb exit at once, and the next one is tried). Its log goes to `dir`.
 */
export async function startXvfb(dir: string): Promise<{ name: string; process: ManagedProcess }> {
  await ensureXvfb();
  const first = 100 + Math.floor(Math.random() * 800);
  for (let number = first; ; number++) {
    try {
      const started = await startProcess({
        name: 'Xvfb',
        command: XVFB_PATH,
        args: [`:${number}`, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'],
        logFile: join(dir, 'xvfb.log'),
        ready: () => exists(`/tmp/.X11-unix/X${number}`),
        readyTimeoutMs: 10_000,
      });
      return { name: `:${number}`, process: started };
    } catch (error) {
      if (number - first >= 5) throw error;
    }
  }
}

export type VirtualDisplay = {
  /** For `DISPLAY`, e.g. `:412`. */
  name: string;
  stop(): Promise<void>;
};

/** A virtual display of its own (1280×1024), in a temporary folder removed on stop. */
export async function startVirtualDisplay(): Promise<VirtualDisplay> {
  const dir = await createTempDir('uplink-xvfb-');
  try {
    const { name, process } = await startXvfb(dir);
    return {
      name,
      async stop() {
        await process.stop();
        await removeTempDir(dir);
      },
    };
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}

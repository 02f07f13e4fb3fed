import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildClientBundle, type ClientBundle } from '@uplink/web';

const CLIENT_DIR = fileURLToPath(new URL('../../console/', import.meta.url));
export const CONSOLE_ASSET_PREFIX = '/console/assets/';

let built: ClientBundle | undefined;

/** The console's script and stylesheet, built once per process (esbuild, a few tens of ms). */
export function consoleAssets(): ClientBundle {
  built ??= buildClientBundle({
    scriptEntry: join(CLIENT_DIR, 'src/main.ts'),
    styleEntry: join(CLIENT_DIR, 'styles.css'),
    prefix: CONSOLE_ASSET_PREFIX,
    names: { script: 'console', style: 'console-style' },
  });
  return built;
}

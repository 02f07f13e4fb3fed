// Builds the Freshdesk app folder as Freshworks expects it (manifest.json, config/, app/): the
// pages, the icon and the configuration as written, the scripts and the stylesheet bundled from
// src/ with the project's esbuild (no third-party code at run time, nothing inline).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { esbuild } from '@uplink/web';

/** integrations/freshdesk/ */
export const APP_SOURCE_DIR = fileURLToPath(new URL('../', import.meta.url));

/** What `npm run freshdesk-app` writes: the app folder and the zip to upload. */
export const DIST_DIR = join(APP_SOURCE_DIR, 'dist');
export const APP_NAME = 'uplink-freshdesk';

/** The pages' scripts: app/scripts/<name>.js from src/<name>.ts. */
const SCRIPTS = ['sidebar', 'editor', 'modal'] as const;

/** Paths inside the app folder, '/'-separated, mapped to their bytes, in a stable order. */
export type AppFiles = Map<string, Buffer>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The app as Freshworks takes it, in memory (a few tens of ms). */
export function buildAppFiles(): AppFiles {
  const files: AppFiles = new Map();
  const copy = (path: string) =>
    files.set(relative(APP_SOURCE_DIR, path).split(sep).join('/'), readFileSync(path));
  copy(join(APP_SOURCE_DIR, 'manifest.json'));
  for (const path of filesUnder(join(APP_SOURCE_DIR, 'config'))) copy(path);
  for (const path of filesUnder(join(APP_SOURCE_DIR, 'app'))) copy(path);

  const result = esbuild().buildSync({
    entryPoints: {
      ...Object.fromEntries(
        SCRIPTS.map((name) => [`scripts/${name}`, join(APP_SOURCE_DIR, 'src', `${name}.ts`)]),
      ),
      'styles/app': join(APP_SOURCE_DIR, 'src', 'app.css'),
    },
    bundle: true,
    minify: true,
    // Classic scripts, each self-contained: the pages load them after the platform's client script.
    format: 'iife',
    target: ['es2020', 'chrome96', 'firefox100', 'safari15'],
    outdir: '/app',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  for (const output of result.outputFiles) {
    files.set(`app${output.path.slice('/app'.length)}`, Buffer.from(output.contents));
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

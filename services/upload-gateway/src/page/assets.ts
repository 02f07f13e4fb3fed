import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildClientBundle,
  compressLarge,
  contentTypeOf,
  extension,
  once,
  registerFavicon,
  registerStaticAssets,
  type StaticAsset,
} from '@uplink/web';
import type { FastifyInstance } from 'fastify';

const CLIENT_DIR = fileURLToPath(new URL('../../client/', import.meta.url));
const ASSET_PREFIX = '/assets/';

/** The background-blur model: a script, its wasm (SIMD or not), the graph and the model files. */
const SEGMENTATION_PACKAGE = '@mediapipe/selfie_segmentation';
const SEGMENTATION_FILES = [
  'selfie_segmentation.js',
  'selfie_segmentation.binarypb',
  'selfie_segmentation.tflite',
  'selfie_segmentation_landscape.tflite',
  'selfie_segmentation_solution_simd_wasm_bin.js',
  'selfie_segmentation_solution_simd_wasm_bin.wasm',
  'selfie_segmentation_solution_simd_wasm_bin.data',
  'selfie_segmentation_solution_wasm_bin.js',
  'selfie_segmentation_solution_wasm_bin.wasm',
];

const COMPRESSIBLE = new Set(['.js', '.css', '.wasm', '.binarypb']);

export type PageAssets = {
  /** URL paths of the page's script and stylesheet (content-hashed names). */
  script: string;
  style: string;
  /** URL path of the segmentation files, ending in '/'. */
  segmentationBase: string;
  /** Raw and gzip sizes of what every page load fetches (script + stylesheet). */
  payload: { rawBytes: number; gzipBytes: number };
  files: ReadonlyMap<string, StaticAsset>;
};

function segmentationDir(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve(`${SEGMENTATION_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  return { dir: dirname(packageJson), version };
}

function createPageAssets(): PageAssets {
  const bundle = buildClientBundle({
    scriptEntry: join(CLIENT_DIR, 'src/main.ts'),
    styleEntry: join(CLIENT_DIR, 'styles.css'),
    prefix: ASSET_PREFIX,
  });
  const files = bundle.files;

  // The package is pinned to an exact version, and the directory name carries a hash of its
  // files' names and sizes too, so a changed file always gets a new URL.
  const segmentation = segmentationDir();
  const fingerprint = createHash('sha256');
  for (const name of SEGMENTATION_FILES) {
    fingerprint.update(`${name}:${statSync(join(segmentation.dir, name)).size}\n`);
  }
  const segmentationBase = `${ASSET_PREFIX}segmentation-${segmentation.version}-${fingerprint.digest('hex').slice(0, 8)}/`;
  for (const name of SEGMENTATION_FILES) {
    const ext = extension(name);
    files.set(`${segmentationBase}${name}`, {
      contentType: contentTypeOf(name),
      load: once(async () => {
        const body = await readFile(join(segmentation.dir, name));
        return COMPRESSIBLE.has(ext) && body.length > 0 ? compressLarge(body) : { identity: body };
      }),
    });
  }

  return { script: bundle.script, style: bundle.style, segmentationBase, payload: bundle.payload, files };
}

let built: PageAssets | undefined;

/** The page's assets, built once per process (the client bundle takes esbuild a few tens of ms). */
export function pageAssets(): PageAssets {
  built ??= createPageAssets();
  return built;
}

/**
 * GET and HEAD /assets/*: the page's script and stylesheet and the background-blur model, all
 * under content-addressed names so browsers may cache them forever. Builds the client bundle
 * now (once per process) so the first page view does not wait for it. Unknown names are 404:
 * the path is only ever a key into the list of built and allowed files, never a file path.
 */
export async function registerPageAssets(app: FastifyInstance): Promise<void> {
  const assets = pageAssets();
  app.log.info(
    { script: assets.script, style: assets.style, payload: assets.payload },
    'upload page assets built',
  );
  registerStaticAssets(app, ASSET_PREFIX, assets.files);
  registerFavicon(app);
}

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, gzip, gzipSync, constants as zlib } from 'node:zlib';
import { buildSync } from 'esbuild';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const CLIENT_DIR = fileURLToPath(new URL('../../client/', import.meta.url));
const ASSET_PREFIX = '/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';

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

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
};
const COMPRESSIBLE = new Set(['.js', '.css', '.wasm', '.binarypb']);

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot);
}

type Encoded = { identity: Buffer; gzip?: Buffer; br?: Buffer };

type Asset = {
  contentType: string;
  /** Bundles are built and compressed up front; model files are read and compressed on first use. */
  load: () => Promise<Encoded>;
};

export type PageAssets = {
  /** URL paths of the page's script and stylesheet (content-hashed names). */
  script: string;
  style: string;
  /** URL path of the segmentation files, ending in '/'. */
  segmentationBase: string;
  /** Raw and gzip sizes of what every page load fetches (script + stylesheet). */
  payload: { rawBytes: number; gzipBytes: number };
  files: ReadonlyMap<string, Asset>;
};

function once<T>(produce: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= produce().catch((error: unknown) => {
      promise = undefined;
      throw error;
    });
    return promise;
  };
}

function compressSmall(body: Buffer): Encoded {
  return {
    identity: body,
    gzip: gzipSync(body, { level: 9 }),
    br: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
  };
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Big model files: brotli at a quality that takes a fraction of a second for the 5 MB wasm. */
async function compressLarge(body: Buffer): Promise<Encoded> {
  const [gz, br] = await Promise.all([
    gzipAsync(body, { level: 6 }),
    brotliAsync(body, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  ]);
  return { identity: body, gzip: gz, br };
}

function buildClient(): { script: { name: string; body: Buffer }; style: { name: string; body: Buffer } } {
  const result = buildSync({
    entryPoints: { page: join(CLIENT_DIR, 'src/main.ts'), style: join(CLIENT_DIR, 'styles.css') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome96', 'firefox100', 'safari15'],
    entryNames: '[name]-[hash]',
    outdir: '/assets',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const out = (suffix: string) => {
    const file = result.outputFiles.find((candidate) => candidate.path.endsWith(suffix));
    if (!file) throw new Error(`the client build produced no ${suffix} file`);
    return { name: basename(file.path), body: Buffer.from(file.contents) };
  };
  return { script: out('.js'), style: out('.css') };
}

function segmentationDir(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve(`${SEGMENTATION_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  return { dir: dirname(packageJson), version };
}

function createPageAssets(): PageAssets {
  const files = new Map<string, Asset>();
  const { script, style } = buildClient();
  for (const built of [script, style]) {
    const encoded = compressSmall(built.body);
    files.set(`${ASSET_PREFIX}${built.name}`, {
      contentType: CONTENT_TYPES[extension(built.name)] ?? 'application/octet-stream',
      load: () => Promise.resolve(encoded),
    });
  }

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
      contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
      load: once(async () => {
        const body = await readFile(join(segmentation.dir, name));
        return COMPRESSIBLE.has(ext) && body.length > 0 ? compressLarge(body) : { identity: body };
      }),
    });
  }

  const rawBytes = script.body.length + style.body.length;
  const gzipBytes = gzipSync(script.body, { level: 9 }).length + gzipSync(style.body, { level: 9 }).length;
  return {
    script: `${ASSET_PREFIX}${script.name}`,
    style: `${ASSET_PREFIX}${style.name}`,
    segmentationBase,
    payload: { rawBytes, gzipBytes },
    files,
  };
}

let built: PageAssets | undefined;

/** The page's assets, built once per process (the client bundle takes esbuild a few tens of ms). */
export function pageAssets(): PageAssets {
  built ??= createPageAssets();
  return built;
}

/** The content codings an Accept-Encoding header allows (q=0 forbids one). */
function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    if (q !== undefined && !(Number.parseFloat(q.slice(2)) > 0)) continue;
    if (name.trim() !== '') accepted.add(name.trim());
  }
  return accepted;
}

function pickEncoding(request: FastifyRequest, encoded: Encoded): 'br' | 'gzip' | undefined {
  const accepted = acceptedEncodings(request.headers['accept-encoding']);
  if (encoded.br && accepted.has('br')) return 'br';
  if (encoded.gzip && accepted.has('gzip')) return 'gzip';
  return undefined;
}

async function serveAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset): Promise<FastifyReply> {
  const encoded = await asset.load();
  const encoding = pickEncoding(request, encoded);
  const body = encoding ? (encoded[encoding] ?? encoded.identity) : encoded.identity;
  reply.headers({
    'content-type': asset.contentType,
    'cache-control': IMMUTABLE,
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'same-origin',
    vary: 'accept-encoding',
  });
  if (encoding) reply.header('content-encoding', encoding);
  return reply.send(body);
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
  app.get('/assets/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const asset = assets.files.get(path);
    if (!asset) return reply.callNotFound();
    return serveAsset(request, reply, asset);
  });
}

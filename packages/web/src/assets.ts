// Browser assets for the server-rendered pages (the customer's upload page, the agent console):
// a client bundle built with esbuild at start, compressed once, and served under
// content-hashed names that browsers may cache forever.
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, gzip, gzipSync, constants as zlib } from 'node:zlib';
import type * as Esbuild from 'esbuild';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * esbuild, loaded on first build with its worker thread off. With the worker, buildSync keeps a
 * helper process running (~12 MB) for builds that never come, and stopping it leaves the helper
 * unreaped (a zombie); without it, each of the two builds at start runs esbuild once and waits
 * for it. esbuild reads the variable when it loads, so it is loaded here, not imported.
 */
export function esbuild(): typeof Esbuild {
  process.env.ESBUILD_WORKER_THREADS = '0';
  return createRequire(import.meta.url)('esbuild') as typeof Esbuild;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot);
}

export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[extension(name)] ?? 'application/octet-stream';
}

export type Encoded = { identity: Buffer; gzip?: Buffer; br?: Buffer };

export type StaticAsset = {
  contentType: string;
  /** Bundles are built and compressed up front; big files may be read and compressed on first use. */
  load: () => Promise<Encoded>;
};

/** A lazily produced value that is produced again after a failure. */
export function once<T>(produce: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= produce().catch((error: unknown) => {
      promise = undefined;
      throw error;
    });
    return promise;
  };
}

export function compressSmall(body: Buffer): Encoded {
  return {
    identity: body,
    gzip: gzipSync(body, { level: 9 }),
    br: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
  };
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Big files: brotli at a quality that takes a fraction of a second for a 5 MB wasm. */
export async function compressLarge(body: Buffer): Promise<Encoded> {
  const [gz, br] = await Promise.all([
    gzipAsync(body, { level: 6 }),
    brotliAsync(body, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  ]);
  return { identity: body, gzip: gz, br };
}

export type ClientBundle = {
  /** URL paths of the script and the stylesheet (content-hashed names under the prefix). */
  script: string;
  style: string;
  /** Raw and gzip sizes of what every page load fetches (script + stylesheet). */
  payload: { rawBytes: number; gzipBytes: number };
  /** URL path -> asset; callers may add their own files. */
  files: Map<string, StaticAsset>;
};

export type ClientBundleOptions = {
  /** The script's entry point (TypeScript, bundled with everything it imports). */
  scriptEntry: string;
  /** The stylesheet. */
  styleEntry: string;
  /** URL path the assets are served under, starting and ending with '/'. */
  prefix: string;
  /** Base names of the bundles before their hash (`page` -> `page-3JQ4X2.js`); they must differ. */
  names?: { script: string; style: string };
};

/** Builds, minifies and compresses a page's script and stylesheet (a few tens of ms). */
export function buildClientBundle(options: ClientBundleOptions): ClientBundle {
  const names = options.names ?? { script: 'page', style: 'style' };
  const result = esbuild().buildSync({
    entryPoints: { [names.script]: options.scriptEntry, [names.style]: options.styleEntry },
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
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    return { name, body: Buffer.from(file.contents) };
  };
  const script = out('.js');
  const style = out('.css');
  const files = new Map<string, StaticAsset>();
  for (const built of [script, style]) {
    const encoded = compressSmall(built.body);
    files.set(`${options.prefix}${built.name}`, {
      contentType: contentTypeOf(built.name),
      load: () => Promise.resolve(encoded),
    });
  }
  const rawBytes = script.body.length + style.body.length;
  const gzipBytes = gzipSync(script.body, { level: 9 }).length + gzipSync(style.body, { level: 9 }).length;
  return {
    script: `${options.prefix}${script.name}`,
    style: `${options.prefix}${style.name}`,
    payload: { rawBytes, gzipBytes },
    files,
  };
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

async function serveAsset(
  request: FastifyRequest,
  reply: FastifyReply,
  asset: StaticAsset,
): Promise<FastifyReply> {
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
 * GET and HEAD `<prefix>*`: the listed files, compressed as the client accepts. Unknown names
 * are 404: the path is only ever a key into the list, never a file path.
 */
export function registerStaticAssets(
  app: FastifyInstance,
  prefix: string,
  files: ReadonlyMap<string, StaticAsset>,
): void {
  app.get(`${prefix}*`, { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const asset = files.get(path);
    if (!asset) return reply.callNotFound();
    return serveAsset(request, reply, asset);
  });
}

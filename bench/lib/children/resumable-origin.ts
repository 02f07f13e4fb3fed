// Child process: the origin the resumable-upload benchmark's browser talks to, behind the
// benchmark's link (bench/lib/throttled-link.ts). One origin for both contenders, as a
// deployment serves its page and its upload API from one host:
//   GET /          the benchmark page: a file input and its script
//   GET /page.js   bench/pages/resumable-upload.ts bundled with esbuild (Uplink's Upload class
//                  and tus-js-client)
//   /u/...         forwarded to upload-gateway (GATEWAY_URL), as the upload page calls it on
//                  its own origin; an intent's uploadUrl is rewritten from the storage's origin
//                  (STORAGE_ORIGIN) to STORAGE_PUBLIC_ORIGIN, the link's way to the storage
//   /files/...     @tus/server with @tus/file-store in TUS_DIR
// Reports { port } when listening.
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import { esbuild } from '../../../packages/web/src/assets.ts';
import { benchDir, childLifecycle } from '../common.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const gatewayUrl = env('GATEWAY_URL');
const storageOrigin = env('STORAGE_ORIGIN');
const storagePublicOrigin = env('STORAGE_PUBLIC_ORIGIN');

const bundle = esbuild().buildSync({
  entryPoints: [join(benchDir, 'pages', 'resumable-upload.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  write: false,
  logLevel: 'silent',
}).outputFiles[0]?.contents;
if (!bundle) throw new Error('the benchmark page did not build');

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>resumable-upload benchmark</title>
<script type="module" src="/page.js"></script></head>
<body><input type="file" id="file"></body></html>`;

const tus = new TusServer({ path: '/files', datastore: new FileStore({ directory: env('TUS_DIR') }) });

/** The gateway's answer, with an intent's uploadUrl pointing at the storage through the link. */
function forwardToGateway(req: IncomingMessage, res: ServerResponse): void {
  const isIntent = req.method === 'POST' && /^\/u\/[^/]+\/uploads$/.test(req.url ?? '');
  const upstream = request(new URL(req.url ?? '/', gatewayUrl), { method: req.method, headers: req.headers });
  upstream.on('response', (answer) => {
    if (!isIntent || answer.statusCode !== 201) {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    answer.on('data', (chunk: Buffer) => chunks.push(chunk));
    answer.on('end', () => {
      const intent = JSON.parse(Buffer.concat(chunks).toString()) as { uploadUrl: string };
      if (!intent.uploadUrl.startsWith(storageOrigin)) {
        throw new Error(`an intent's uploadUrl is not on ${storageOrigin}`);
      }
      intent.uploadUrl = storagePublicOrigin + intent.uploadUrl.slice(storageOrigin.length);
      const body = JSON.stringify(intent);
      const { 'content-length': _length, ...headers } = answer.headers;
      res.writeHead(201, { ...headers, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

const server = createServer((req, res) => {
  const path = req.url ?? '/';
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  } else if (path === '/page.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
  } else if (path.startsWith('/u/')) {
    forwardToGateway(req, res);
  } else if (path === '/files' || path.startsWith('/files/')) {
    void tus.handle(req, res);
  } else {
    res.writeHead(404).end();
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
const address = server.address();
const port = typeof address === 'object' && address ? address.port : 0;

childLifecycle({ port }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

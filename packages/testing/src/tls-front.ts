// A TLS front for a service on loopback, as a deployment's ingress gives Uplink an https name:
// browser tests whose pages must reach Uplink at `https://<hostname>` (a helpdesk app's pages, which
// know Uplink by its host name only) map that name to the front with Chromium's
// `--host-resolver-rules` and accept its self-signed certificate (`ignoreHTTPSErrors`). It passes
// requests and answers through as they stream (server-sent events included).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { closeWhenDone } from './auto-close.ts';

export type TlsFront = {
  /** `https://<hostname>`: what the browser is given. */
  readonly origin: string;
  /** Chromium's flag that sends `hostname` to this front. */
  readonly hostResolverRule: string;
};

/** Starts the front for `target` (`http://127.0.0.1:<port>`), closed when the test or file is done. */
export async function startTlsFront(hostname: string, target: string): Promise<TlsFront> {
  const { key, cert } = await selfSignedCertificate(hostname);
  const upstream = new URL(target);
  const server = createServer({ key, cert }, (req, res) => {
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    res.on('close', () => forwarded.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeWhenDone(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://${hostname}`,
    hostResolverRule: `--host-resolver-rules=MAP ${hostname}:443 127.0.0.1:${port}`,
  };
}

/** A certificate for `hostname` only, made with openssl, valid one day. */
async function selfSignedCertificate(hostname: string): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'uplink-tls-'));
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      `/CN=${hostname}`,
      '-addext',
      `subjectAltName=DNS:${hostname}`,
    ]);
    const [key, cert] = await Promise.all([readFile(join(dir, 'key.pem')), readFile(join(dir, 'cert.pem'))]);
    return { key, cert };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

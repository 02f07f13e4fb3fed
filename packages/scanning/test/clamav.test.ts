// The ClamAV adapter against a real clamd (Debian's clamav-daemon) with the tests' signature
// database, over TCP and over its Unix socket.
import { createServer, type Server } from 'node:net';
import {
  type ClamdServer,
  EICAR_TEST_FILE,
  startClamd,
  TEST_MALWARE_MARKER,
  TEST_SIGNATURES,
} from '@uplink/dev-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClamavScanner, parseClamavUrl, ScannerUnavailableError } from '../src/index.ts';

const MB = 1024 * 1024;
let clamd: ClamdServer;

beforeAll(async () => {
  clamd = await startClamd({ streamMaxLength: '25M' });
});
afterAll(() => clamd?.stop());

/** `total` bytes in pieces of `pieceBytes`, made as they are read: never a whole file in memory. */
async function* generated(total: number, pieceBytes = MB, fill = 0x61): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < total; sent += pieceBytes) {
    yield new Uint8Array(Math.min(pieceBytes, total - sent)).fill(fill);
  }
}

async function* of(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part) : part;
}

describe.each([
  ['TCP', () => clamd.url],
  ['a Unix socket', () => clamd.socketUrl],
])('ClamavScanner over %s', (_transport, url) => {
  it('answers PING', async () => {
    await expect(ClamavScanner.fromUrl(url()).ping()).resolves.toBeUndefined();
  });

  it('finds EICAR by its signature name', async () => {
    const verdict = await ClamavScanner.fromUrl(url()).scan(of(EICAR_TEST_FILE));
    expect(verdict).toEqual({ outcome: 'infected', signature: TEST_SIGNATURES.eicar });
  });

  it('finds the custom signature anywhere in a file, across chunk boundaries', async () => {
    const half = TEST_MALWARE_MARKER.length >> 1;
    const verdict = await ClamavScanner.fromUrl(url()).scan(
      of(
        '%PDF-1.7\n',
        new Uint8Array(200_000).fill(0x20),
        TEST_MALWARE_MARKER.slice(0, half),
        TEST_MALWARE_MARKER.slice(half),
        '\n%%EOF\n',
      ),
    );
    expect(verdict).toEqual({ outcome: 'infected', signature: TEST_SIGNATURES.marker });
  });

  it('finds a clean 20 MB stream clean', async () => {
    expect(await ClamavScanner.fromUrl(url()).scan(generated(20 * MB))).toEqual({ outcome: 'clean' });
  });
});

describe('ClamavScanner limits and failures', () => {
  it('says too_large, not clean, for a stream above StreamMaxLength (clamd stops reading)', async () => {
    const verdict = await ClamavScanner.fromUrl(clamd.url).scan(generated(26 * MB));
    expect(verdict).toEqual({ outcome: 'too_large' });
  });

  it('throws ScannerUnavailableError when nothing listens', async () => {
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as { port: number };
    await new Promise((resolve) => listener.close(resolve));
    const scanner = ClamavScanner.fromUrl(`tcp://127.0.0.1:${port}`);
    await expect(scanner.scan(of('hello'))).rejects.toBeInstanceOf(ScannerUnavailableError);
    await expect(scanner.ping()).rejects.toBeInstanceOf(ScannerUnavailableError);
  });

  it('throws ScannerUnavailableError when the scanner goes silent, instead of waiting for ever', async () => {
    let silent: Server | undefined;
    try {
      silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as { port: number };
      const scanner = new ClamavScanner({ address: { host: '127.0.0.1', port }, idleTimeoutMs: 300 });
      await expect(scanner.scan(of('hello'))).rejects.toThrow(/sent nothing for 300 ms/);
    } finally {
      silent?.close();
    }
  });
});

describe('parseClamavUrl', () => {
  it('reads TCP and Unix socket addresses and refuses anything else', () => {
    expect(parseClamavUrl('tcp://clamav.uplink:3310')).toEqual({ host: 'clamav.uplink', port: 3310 });
    expect(parseClamavUrl('tcp://[::1]:3310')).toEqual({ host: '::1', port: 3310 });
    expect(parseClamavUrl('unix:///run/clamav/clamd.ctl')).toEqual({ path: '/run/clamav/clamd.ctl' });
    expect(() => parseClamavUrl('http://clamav:3310')).toThrow(/not a clamd address/);
    expect(() => parseClamavUrl('tcp://clamav')).toThrow(/not a clamd address/);
  });
});

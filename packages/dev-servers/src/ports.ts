import { createServer } from 'node:net';

/** Ports this process has handed out: the kernel may offer a released port again at once. */
const handedOut = new Set<number>();

/**
 * Asks the kernel for a port that is free right now, and never hands the same port out twice in
 * this process (two servers started together, say PostgreSQL and FerretDB, would otherwise
 * both get the port the first call just released). Another process could still take it before
 * our server binds; on loopback in a test run that window is small enough to live with, and it
 * keeps tests from ever depending on a fixed port.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await kernelPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: the kernel kept offering ports already handed out');
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected listen address ${String(address)}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

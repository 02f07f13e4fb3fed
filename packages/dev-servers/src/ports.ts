import { createServer } from 'node:net';

/**
 * Asks the kernel for a port that is free right now. Another process could take it before our
 * server binds it; on loopback in a test run that window is small enough to live with, and it
 * keeps tests from ever depending on a fixed port.
 */
export function freePort(): Promise<number> {
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

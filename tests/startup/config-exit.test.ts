// A service started with a bad or missing variable exits 78 (EX_CONFIG) with the variable's name
// before it touches MongoDB or NATS: each main runs as its own process, its MONGODB_URI and
// NATS_URL pointing at listeners that count the connections they get.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** A TCP listener that only counts who connects (no protocol: a client waits on it). */
type CountingListener = { url: string; connections: number; server: Server; sockets: Set<Socket> };

async function countingListener(scheme: string): Promise<CountingListener> {
  const listener: CountingListener = { url: '', connections: 0, server: createServer(), sockets: new Set() };
  listener.server.on('connection', (socket) => {
    listener.connections++;
    listener.sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((done) => listener.server.listen(0, '127.0.0.1', done));
  const address = listener.server.address() as { port: number };
  listener.url = `${scheme}://127.0.0.1:${address.port}${scheme === 'mongodb' ? '/' : ''}`;
  return listener;
}

let mongo: CountingListener;
let nats: CountingListener;
beforeAll(async () => {
  [mongo, nats] = await Promise.all([countingListener('mongodb'), countingListener('nats')]);
});
afterAll(async () => {
  for (const listener of [mongo, nats]) {
    for (const socket of listener?.sockets ?? []) socket.destroy();
    await new Promise((done) => listener?.server.close(done));
  }
});

type Exit = { code: number | null; stderr: string };

/**
 * Runs `services/<service>/src/main.ts` with only `env` besides PATH, until it exits or, with
 * `stopWhen`, until that holds (then it is killed).
 */
function runMain(service: string, env: Record<string, string>, stopWhen?: () => boolean): Promise<Exit> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(root, 'services', service, 'src', 'main.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', MONGODB_URI: mongo.url, NATS_URL: nats.url, PORT: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const poll = stopWhen && setInterval(() => stopWhen() && child.kill('SIGKILL'), 50);
    const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearInterval(poll);
      clearTimeout(deadline);
      done({ code, stderr });
    });
  });
}

const connectionAttempts = () => mongo.connections + nats.connections;
const storage = { AZURE_STORAGE_ACCOUNT_NAME: 'uplinktest', AZURE_STORAGE_ACCOUNT_KEY: 'a2V5' };

// Each run loads a whole service (seconds on a busy machine): one per kind of refusal. What each
// check refuses is tested in process (config.test.ts, secrets.test.ts, storage-env.test.ts).
describe('a service with a bad or missing variable', () => {
  it.each([
    ['link-service', { PORT: 'eighty' }, /PORT: /],
    ['note-relay', { ...storage }, /UPLINK_SECRET_KEYS: .*required/],
    ['upload-gateway', {}, /AZURE_STORAGE_CONNECTION_STRING: set it/],
    ['expiry-scheduler', { NATS_URL: 'http://127.0.0.1:4222' }, /NATS_URL: /],
  ])('%s with %j exits 78 naming it, before connecting', async (service, env, message) => {
    const before = connectionAttempts();
    const exit = await runMain(service, env);
    expect(exit.code, exit.stderr).toBe(78);
    expect(exit.stderr).toContain(`${service}: Invalid configuration`);
    expect(exit.stderr).toMatch(message);
    expect(connectionAttempts()).toBe(before);
  });

  it('refuses a malformed secret key the same way, without repeating it', async () => {
    const before = connectionAttempts();
    const exit = await runMain('link-service', { UPLINK_SECRET_KEYS: 'k1:dG9vIHNob3J0' });
    expect(exit.code, exit.stderr).toBe(78);
    expect(exit.stderr).toMatch(/UPLINK_SECRET_KEYS: key k1 must be 32 bytes/);
    expect(exit.stderr).not.toContain('dG9vIHNob3J0');
    expect(connectionAttempts()).toBe(before);
  });

  it('with a valid configuration, connects (so the listeners do see an attempt)', async () => {
    const before = connectionAttempts();
    const exit = await runMain('expiry-scheduler', {}, () => connectionAttempts() > before);
    expect(exit.code).not.toBe(78);
    expect(connectionAttempts()).toBeGreaterThan(before);
  });
});

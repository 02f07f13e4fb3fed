// `kill -9` of `npm start` while customers upload: every completion it answered 200 must come back
// after a restart with its file readable, byte for byte, and every link it did not answer must
// still be usable (0 lost, 0 stuck; the flows and the check are @uplink/testing's crash-flows,
// which bench/crash-durability.ts runs at full size). The one-process default keeps links in
// SQLite and blobs in the in-process Azurite; a file Azurite has not yet written down while the
// link says "received" is an upload the customer was told arrived and that is gone. The same
// folder then shows that everything npm start keeps is owner-only: it holds the key that unseals
// every tenant's helpdesk secrets.
import { chmod, lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAfterRestart, createCrashFlows, embeddedUplinkEnv, runFlowsUntilKilled } from '@uplink/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endNpmStart, type StartedUplink, startNpmStart } from './npm-start-process.ts';

/** Upload flows per kill, and how many run at once. */
const FLOWS = 50;
const CONCURRENCY = 12;
const KILLS = 2;

let dataDir: string;
let env: NodeJS.ProcessEnv;
let uplink: StartedUplink | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uplink-kill-'));
  env = {
    ...(await embeddedUplinkEnv()),
    UPLINK_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // Every flow comes from 127.0.0.1: the per-address limit would refuse the test, not an attack.
    RATE_LIMIT_PER_IP: '100000',
  };
}, 60_000);

afterAll(async () => {
  await endNpmStart(uplink?.child, 'SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm start killed with SIGKILL while customers upload', () => {
  for (let kill = 1; kill <= KILLS; kill++) {
    it(`keeps every upload it answered 200 and leaves every other link usable (kill ${kill})`, {
      timeout: 120_000,
    }, async () => {
      // The previous kill's restart, or a first start.
      const running = uplink ?? (await startNpmStart(env));
      const flows = await createCrashFlows(running, FLOWS, `kill-${kill}`);
      await runFlowsUntilKilled(flows, {
        concurrency: CONCURRENCY,
        kill: () => endNpmStart(running.child, 'SIGKILL'),
      });
      uplink = undefined;

      uplink = await startNpmStart(env);
      const check = await checkAfterRestart(uplink, flows, CONCURRENCY);
      expect(check.answered).toBeGreaterThan(0);
      expect(check.lost, 'answered 200, or recorded as received, without its file').toEqual([]);
      expect(check.stuck, 'neither received nor usable again').toEqual([]);
    });
  }
});

// On the same folder, after the rounds above have written sessions, events, blobs and keys.
describe("npm start's data folder", () => {
  it('is owner-only after start and uploads: every file 0600, every folder 0700', async () => {
    uplink ??= await startNpmStart(env);
    expect(await looseModes(dataDir)).toEqual([]);
  });

  it('makes an existing data folder owner-only again at start', { timeout: 60_000 }, async () => {
    expect(await endNpmStart(uplink?.child)).toBe(0);
    uplink = undefined;
    // As an older Uplink (or a copy, or an unzip) left it: readable by everyone.
    await chmodTree(dataDir, 0o755, 0o644);
    expect((await looseModes(dataDir)).length).toBeGreaterThan(3);
    uplink = await startNpmStart(env);
    expect(await looseModes(dataDir)).toEqual([]);
  });
});

/** Every file under `root` (itself included) whose mode is not 0600, and every folder not 0700. */
async function looseModes(root: string): Promise<string[]> {
  const loose: string[] = [];
  const visit = async (path: string): Promise<void> => {
    const stat = await lstat(path);
    const mode = stat.mode & 0o777;
    const expected = stat.isDirectory() ? 0o700 : 0o600;
    if (mode !== expected) loose.push(`${path} ${mode.toString(8)}`);
    if (stat.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(root);
  return loose;
}

async function chmodTree(root: string, folderMode: number, fileMode: number): Promise<void> {
  const stat = await lstat(root);
  await chmod(root, stat.isDirectory() ? folderMode : fileMode);
  if (stat.isDirectory())
    for (const name of await readdir(root)) await chmodTree(join(root, name), folderMode, fileMode);
}

// `kill -9` of `npm start` while customers upload: every completion it answered 200 must come back
// after a restart with its file readable, byte for byte, and every link it did not answer must
// still be usable. The one-process default keeps links in SQLite and blobs in the in-process
// Azurite; a file Azurite has not yet written down while the link says "received" is an upload
// the customer was told arrived and that is gone. The same folder then shows that everything
// npm start keeps is owner-only: it holds the key that unseals every tenant's helpdesk secrets.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreatedLink, LinkView, UploadIntent } from '@uplink/contracts';
import { embeddedUplinkEnv } from '@uplink/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endNpmStart, type StartedUplink, startNpmStart, tenantApi } from './npm-start-process.ts';

/** Concurrent upload flows per round. */
const FLOWS = 30;
/** How long after the first 200 the process is killed, one round each. */
const KILL_DELAYS_MS = [0, 8, 25];
const RECEIVED_OR_LATER = ['received', 'delivered', 'delivery_failed'];

let dataDir: string;
let env: NodeJS.ProcessEnv;
let uplink: StartedUplink | undefined;

type Flow = { link: CreatedLink; bytes: Uint8Array; completion: number | 'no answer' };

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

/** A small PDF that differs from every other one, so a mixed-up file cannot pass for it. */
function uniquePdf(): Uint8Array {
  return new TextEncoder().encode(
    `%PDF-1.4\n%${randomBytes(24).toString('hex')}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
  );
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What the customer's page does: intent, PUT to the SAS URL, complete. Returns the completion's status. */
async function uploadThroughPage(linkUrl: string, bytes: Uint8Array): Promise<number> {
  const intentResponse = await fetch(`${linkUrl}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      fileName: 'scan.pdf',
      contentType: 'application/pdf',
      size: bytes.length,
      kind: 'file',
    }),
  });
  if (intentResponse.status !== 201) throw new Error(`intent: ${intentResponse.status}`);
  const intent = (await intentResponse.json()) as UploadIntent;
  expect(intent.blockBytes).toBeNull();
  const put = await fetch(intent.uploadUrl, { method: intent.method, headers: intent.headers, body: bytes });
  if (!put.ok) throw new Error(`PUT: ${put.status}`);
  const complete = await fetch(`${linkUrl}/uploads/${intent.uploadId}/complete`, { method: 'POST' });
  await complete.arrayBuffer();
  return complete.status;
}

/** The received file's bytes, through the console's preview URL. */
async function storedFileHash(linkId: string): Promise<string> {
  const { url } = await tenantApi<{ url: string }>(uplink, `/links/${linkId}/file-url`);
  const read = await fetch(url);
  expect(read.status, `the file of link ${linkId}`).toBe(200);
  return sha256(new Uint8Array(await read.arrayBuffer()));
}

/**
 * FLOWS links, each uploaded by its own concurrent flow; the process is SIGKILLed `killDelayMs`
 * after the first completion answers 200. What each completion answered, if anything.
 */
async function uploadAndKill(round: number, killDelayMs: number): Promise<Flow[]> {
  const flows: Flow[] = [];
  for (let i = 0; i < FLOWS; i++) {
    const link = await tenantApi<CreatedLink>(uplink, '/links', {
      method: 'POST',
      body: JSON.stringify({ ticket: { provider: 'webhook', id: `kill-${round}-${i}` } }),
    });
    flows.push({ link, bytes: uniquePdf(), completion: 'no answer' });
  }
  const child = uplink?.child;
  let killed: Promise<number | null> | undefined;
  await Promise.all(
    flows.map(async (flow) => {
      try {
        flow.completion = await uploadThroughPage(flow.link.url, flow.bytes);
      } catch {
        return; // the process is gone: no answer
      }
      if (flow.completion === 200 && !killed) {
        killed = new Promise((done) => setTimeout(done, killDelayMs)).then(() =>
          endNpmStart(child, 'SIGKILL'),
        );
      }
    }),
  );
  await (killed ?? endNpmStart(child, 'SIGKILL'));
  uplink = undefined;
  return flows;
}

describe('npm start killed with SIGKILL while customers upload', () => {
  for (const [round, killDelayMs] of KILL_DELAYS_MS.entries()) {
    it(`keeps every upload it answered 200 (killed ${killDelayMs} ms after the first)`, {
      timeout: 120_000,
    }, async () => {
      // The previous round's restart, or a first start.
      uplink ??= await startNpmStart(env);
      const flows = await uploadAndKill(round, killDelayMs);
      const answered = flows.filter((flow) => flow.completion === 200);
      expect(answered.length).toBeGreaterThan(0);

      uplink = await startNpmStart(env);
      for (const flow of flows) {
        const link = await tenantApi<LinkView>(uplink, `/links/${flow.link.id}`);
        if (flow.completion === 200) {
          expect(RECEIVED_OR_LATER, `link ${link.id} answered 200`).toContain(link.status);
          expect(await storedFileHash(link.id), `link ${link.id} answered 200`).toBe(sha256(flow.bytes));
        } else if (link.status === 'pending') {
          // Not stuck: the customer can send the file again.
          expect(await uploadThroughPage(flow.link.url, flow.bytes)).toBe(200);
          expect(await storedFileHash(link.id)).toBe(sha256(flow.bytes));
        } else {
          // Its completion was written but the answer never left: the file must be there too.
          expect(RECEIVED_OR_LATER, `link ${link.id} (${flow.completion})`).toContain(link.status);
          expect(await storedFileHash(link.id), `link ${link.id} (${flow.completion})`).toBe(
            sha256(flow.bytes),
          );
        }
      }
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

// Customers' complete upload flows (intent, PUT to the SAS URL, completion) against a running
// `npm start`, a `kill -9` of it at a random moment while they run, and what a restart on the same
// data folder must show: every flow whose completion was answered 200 is received or later with
// its bytes, every other link is still pending and a new flow on it succeeds (0 lost, 0 stuck).
// The crash test (packages/embedded/test/kill.test.ts) runs it small, bench/crash-durability.ts
// full size.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { CreatedLink, LinkView, UploadIntent } from '@uplink/contracts';
import { uploadWithIntent } from './blob-upload.ts';

/** Where a running Uplink's tenant API is (`http://…/v1`) and the key it takes. */
export type TenantApiAccess = { api: string; apiKey: string };

export type CrashFlow = {
  link: CreatedLink;
  bytes: Uint8Array;
  /** What its completion answered; 'no answer' when the process died first, or the flow never began. */
  completion: number | 'no answer';
};

/** What a restart shows about the flows of one kill. */
export type CrashCheck = {
  /** Flows whose completion was answered 200. */
  answered: number;
  /** Links answered 200 (or recorded as received) whose file is missing or different: one line each. */
  lost: string[];
  /** Links not received that are not pending, or on which a new flow failed: one line each. */
  stuck: string[];
};

const RECEIVED_OR_LATER = ['received', 'delivered', 'delivery_failed'];

async function tenantCall<T>(uplink: TenantApiAccess, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${uplink.api}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${uplink.apiKey}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Runs `work` on every item, at most `concurrency` at a time, in order of the items. */
async function eachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

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
export async function uploadThroughPage(linkUrl: string, bytes: Uint8Array): Promise<number> {
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
  await uploadWithIntent(intent, bytes);
  const complete = await fetch(`${linkUrl}/uploads/${intent.uploadId}/complete`, { method: 'POST' });
  await complete.arrayBuffer();
  return complete.status;
}

/** `count` new links (webhook tickets `<label>-<i>`), each with the unique file its flow will send. */
export async function createCrashFlows(
  uplink: TenantApiAccess,
  count: number,
  label: string,
): Promise<CrashFlow[]> {
  const flows: CrashFlow[] = [];
  await eachConcurrently(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const link = await tenantCall<CreatedLink>(uplink, '/links', {
        method: 'POST',
        body: JSON.stringify({ ticket: { provider: 'webhook', id: `${label}-${i}` } }),
      });
      flows.push({ link, bytes: uniquePdf(), completion: 'no answer' });
    },
  );
  return flows;
}

/**
 * Runs the flows, `concurrency` at a time, and calls `kill` (SIGKILL the process) at a random
 * moment mid-way: right after a random completion between the first and the last tenth has been
 * answered 200, plus up to 10 ms. Flows still running then get no answer, and none begins after
 * it. Answers how long the flows ran before the kill, and how long each flow answered 200 took.
 */
export async function runFlowsUntilKilled(
  flows: readonly CrashFlow[],
  options: { concurrency: number; kill: () => Promise<unknown> },
): Promise<{ runMs: number; flowMs: number[] }> {
  const killAfter = randomInt(
    Math.max(1, Math.floor(flows.length / 10)),
    Math.ceil((flows.length * 9) / 10) + 1,
  );
  const started = performance.now();
  let answered = 0;
  let killed: Promise<unknown> | undefined;
  let runMs = 0;
  const flowMs: number[] = [];
  const killNow = () => {
    runMs = performance.now() - started;
    killed = options.kill();
  };
  await eachConcurrently(flows, options.concurrency, async (flow) => {
    if (killed) return;
    const flowStarted = performance.now();
    try {
      flow.completion = await uploadThroughPage(flow.link.url, flow.bytes);
    } catch {
      return; // the process is gone: no answer
    }
    if (flow.completion !== 200) return;
    flowMs.push(performance.now() - flowStarted);
    if (++answered === killAfter) {
      const delay = randomInt(0, 11);
      if (delay === 0) killNow();
      else setTimeout(killNow, delay);
    }
  });
  // Every flow finished before the kill's delay ran out: kill now.
  if (!killed) killNow();
  await killed;
  return { runMs, flowMs };
}

/** The received file's bytes, through the console's preview URL: what an agent would see. */
async function storedFileHash(uplink: TenantApiAccess, linkId: string): Promise<string> {
  const { url } = await tenantCall<{ url: string }>(uplink, `/links/${linkId}/file-url`);
  const read = await fetch(url);
  if (read.status !== 200) throw new Error(`reading its file answered ${read.status}`);
  return sha256(new Uint8Array(await read.arrayBuffer()));
}

/**
 * After the restart: each flow answered 200 must be received or later with its exact bytes; each
 * other one either received with its exact bytes (its completion was written, the answer never
 * left) or still pending, and then a new flow on it must succeed.
 */
export async function checkAfterRestart(
  uplink: TenantApiAccess,
  flows: readonly CrashFlow[],
  concurrency: number,
): Promise<CrashCheck> {
  const check: CrashCheck = { answered: 0, lost: [], stuck: [] };
  await eachConcurrently(flows, concurrency, async (flow) => {
    const id = flow.link.id;
    const what = flow.completion === 200 ? 'answered 200' : `completion: ${flow.completion}`;
    if (flow.completion === 200) check.answered++;
    let status: string;
    try {
      status = (await tenantCall<LinkView>(uplink, `/links/${id}`)).status;
    } catch (err) {
      (flow.completion === 200 ? check.lost : check.stuck).push(`${id} (${what}): ${String(err)}`);
      return;
    }
    if (RECEIVED_OR_LATER.includes(status)) {
      const hash = await storedFileHash(uplink, id).catch((err: unknown) => String(err));
      if (hash !== sha256(flow.bytes)) check.lost.push(`${id} (${what}, ${status}): its file ${hash}`);
    } else if (flow.completion === 200) {
      check.lost.push(`${id} (${what}): ${status}`);
    } else if (status !== 'pending') {
      check.stuck.push(`${id} (${what}): ${status}`);
    } else {
      // Not stuck: the customer can send the file again.
      const again = await uploadThroughPage(flow.link.url, flow.bytes).catch((err: unknown) => String(err));
      const hash = await storedFileHash(uplink, id).catch((err: unknown) => String(err));
      if (again !== 200 || hash !== sha256(flow.bytes)) {
        check.stuck.push(`${id} (${what}, pending): a new flow answered ${again}, its file ${hash}`);
      }
    }
  });
  return check;
}

// GET /u/{token}/uploads/{uploadId}: what a reopened page needs to continue an upload. On the
// test adapters (both store adapters: UPLINK_TEST_ADAPTERS) and Azurite.
import type { ErrorEnvelope, UploadIntent, UploadResumption } from '@uplink/contracts';
import { exeBytes, pdfBytes, put, uploadWithIntent } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockId } from '../client/src/blocks.ts';

const BLOCK_BYTES = 64 * 1024;
const MINUTE = 60 * 1000;

let gateway: UploadGatewayHarness;
/** The gateway's clock runs this far from the real one (Azurite checks SAS expiry on real time). */
let clockOffsetMs = 0;

beforeAll(async () => {
  gateway = await uploadGatewayHarness({
    blockBytes: BLOCK_BYTES,
    clock: { now: () => new Date(Date.now() + clockOffsetMs) },
  });
}, 60_000);

async function intentFor(token: string, size: number, fileName = 'scan.pdf'): Promise<UploadIntent> {
  const response = await gateway.post(`/u/${token}/uploads`, {
    fileName,
    contentType: 'application/pdf',
    size,
    kind: 'file',
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as UploadIntent;
}

function resumption(token: string, uploadId: string): Promise<Response> {
  return fetch(`${gateway.baseUrl}/u/${token}/uploads/${uploadId}`);
}

async function resumptionOf(token: string, uploadId: string): Promise<UploadResumption> {
  const response = await resumption(token, uploadId);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as UploadResumption;
}

async function errorOf(response: Response): Promise<ErrorEnvelope['error']> {
  return ((await response.json()) as ErrorEnvelope).error;
}

/** Put Block of `bytes[offset, offset + length)` under the id the page gives it. */
async function stageBlock(
  sasUrl: string,
  bytes: Uint8Array,
  offset: number,
  length: number,
): Promise<string> {
  const id = blockId({ offset, length });
  await put(
    `${sasUrl}&comp=block&blockid=${encodeURIComponent(id)}`,
    bytes.subarray(offset, offset + length),
    {},
  );
  return id;
}

describe('GET /u/{token}/uploads/{uploadId}', () => {
  it('lists the blocks storage holds uncommitted, then the upload commits and completes with them', async () => {
    const { token, linkId } = await gateway.createLink();
    const bytes = pdfBytes(3 * BLOCK_BYTES);
    const intent = await intentFor(token, bytes.length);
    expect(intent.blockBytes).toBe(BLOCK_BYTES);

    const nothingYet = await resumptionOf(token, intent.uploadId);
    expect(nothingYet).toEqual({
      uploadId: intent.uploadId,
      state: 'issued',
      fileName: 'scan.pdf',
      contentType: 'application/pdf',
      size: bytes.length,
      kind: 'file',
      blocks: [],
      committed: false,
    });

    const first = await stageBlock(intent.uploadUrl, bytes, 0, BLOCK_BYTES);
    const second = await stageBlock(intent.uploadUrl, bytes, BLOCK_BYTES, BLOCK_BYTES);
    const { blocks, sas } = await resumptionOf(token, intent.uploadId);
    expect(blocks.toSorted((a, b) => (a.id < b.id ? -1 : 1))).toEqual(
      [
        { id: first, size: BLOCK_BYTES },
        { id: second, size: BLOCK_BYTES },
      ].toSorted((a, b) => (a.id < b.id ? -1 : 1)),
    );
    // The intent's SAS has nearly 15 minutes left: no new one.
    expect(sas).toBeUndefined();

    // What was missing, then the list in offset order, as the page sends them.
    const rest = await stageBlock(intent.uploadUrl, bytes, 2 * BLOCK_BYTES, bytes.length - 2 * BLOCK_BYTES);
    const list = [first, second, rest].map((id) => `<Latest>${id}</Latest>`).join('');
    await put(
      `${intent.uploadUrl}&comp=blocklist`,
      new TextEncoder().encode(`<?xml version="1.0" encoding="utf-8"?><BlockList>${list}</BlockList>`),
      intent.headers,
    );
    // Stored whole: a page closed now has only the completion left to ask for.
    expect(await resumptionOf(token, intent.uploadId)).toMatchObject({ blocks: [], committed: true });
    expect((await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`)).status).toBe(200);
    expect(await gateway.linkStatus(linkId)).toBe('received');

    // The link took its file: nothing to continue.
    const after = await resumption(token, intent.uploadId);
    expect(after.status).toBe(410);
    expect((await errorOf(after)).code).toBe('link_gone');
  });

  it("gives a new SAS for the same blob when the intent's runs out within 5 minutes, and records it", async () => {
    const { token } = await gateway.createLink();
    const bytes = pdfBytes(2 * BLOCK_BYTES);
    clockOffsetMs = -12 * MINUTE;
    let intent: UploadIntent;
    try {
      intent = await intentFor(token, bytes.length);
    } finally {
      clockOffsetMs = 0;
    }
    const first = await stageBlock(intent.uploadUrl, bytes, 0, BLOCK_BYTES);

    const answer = await resumptionOf(token, intent.uploadId);
    expect(answer.blocks).toEqual([{ id: first, size: BLOCK_BYTES }]);
    expect(answer.committed).toBe(false);
    const renewed = answer.sas;
    if (!renewed) throw new Error('expected a new SAS');
    const expiresAt = new Date(renewed.expiresAt).getTime();
    expect(expiresAt - Date.now()).toBeGreaterThan(14 * MINUTE);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(15 * MINUTE);
    expect(renewed.uploadUrl.split('?')[0]).toBe(intent.uploadUrl.split('?')[0]);
    expect(new URL(renewed.uploadUrl).searchParams.get('sp')).toBe('cw');
    expect((await gateway.store.uploads.get(intent.uploadId))?.sasExpiresAt.getTime()).toBe(expiresAt);

    // The new SAS stages the rest; the upload commits and completes.
    const second = await stageBlock(renewed.uploadUrl, bytes, BLOCK_BYTES, bytes.length - BLOCK_BYTES);
    const list = [first, second].map((id) => `<Latest>${id}</Latest>`).join('');
    await put(
      `${renewed.uploadUrl}&comp=blocklist`,
      new TextEncoder().encode(`<?xml version="1.0" encoding="utf-8"?><BlockList>${list}</BlockList>`),
      intent.headers,
    );
    expect((await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`)).status).toBe(200);
  });

  it('answers an upload that is no longer issued with its state only: no blocks, no SAS', async () => {
    const { token, linkId } = await gateway.createLink();
    const exe = exeBytes();
    const intent = await intentFor(token, exe.length, 'invoice.pdf');
    await uploadWithIntent(intent, exe);
    expect((await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`)).status).toBe(422);
    expect(await gateway.linkStatus(linkId)).toBe('pending');

    clockOffsetMs = 20 * MINUTE;
    try {
      const answer = await resumptionOf(token, intent.uploadId);
      expect(answer).toMatchObject({ state: 'rejected', blocks: [], committed: false });
      expect(answer.sas).toBeUndefined();
    } finally {
      clockOffsetMs = 0;
    }
  });

  it("is 404 for an unknown token and for another link's upload, 410 once the link expired", async () => {
    const mine = await gateway.createLink();
    const theirs = await gateway.createLink();
    const intent = await intentFor(mine.token, pdfBytes().length);

    const unknown = await resumption('x'.repeat(43), intent.uploadId);
    expect(unknown.status).toBe(404);
    const other = await resumption(theirs.token, intent.uploadId);
    expect(other.status).toBe(404);
    expect((await errorOf(other)).code).toBe('not_found');
    const missing = await resumption(mine.token, 'upl_00000000000000000000');
    expect(missing.status).toBe(404);
    expect((await resumption(mine.token, 'not-an-upload-id')).status).toBe(400);

    // Past the link's expiry (by the gateway's clock), nothing can be continued.
    clockOffsetMs = 25 * 60 * MINUTE;
    try {
      const expired = await resumption(mine.token, intent.uploadId);
      expect(expired.status).toBe(410);
      expect((await errorOf(expired)).code).toBe('link_gone');
    } finally {
      clockOffsetMs = 0;
    }
  });
});

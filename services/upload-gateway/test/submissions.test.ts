// Several files in one submission (POST /u/{token}/submission): verified together, received
// together in one conditional update with one upload.completed, or refused together.
import {
  completedFiles,
  type ErrorEnvelope,
  type SubmissionReceipt,
  type UploadCompletedEvent,
  type UploadIntent,
} from '@uplink/contracts';
import { hashSecret } from '@uplink/kit';
import { eventually, exeBytes, pdfBytes, uploadWithIntent } from '@uplink/testing';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifiedBlobName } from '../src/blob-names.ts';

let gateway: UploadGatewayHarness;

beforeAll(async () => {
  gateway = await uploadGatewayHarness();
}, 60_000);

const pdfIntent = (size: number, fileName: string) => ({
  fileName,
  contentType: 'application/pdf',
  size,
  kind: 'file',
});

/** An intent for `bytes` as a PDF named `fileName`, and the bytes put into storage with its SAS. */
async function uploaded(token: string, fileName: string, bytes = pdfBytes()): Promise<UploadIntent> {
  const response = await gateway.post(`/u/${token}/uploads`, pdfIntent(bytes.length, fileName));
  expect(response.status, await response.clone().text()).toBe(201);
  const intent = (await response.json()) as UploadIntent;
  await uploadWithIntent(intent, bytes);
  return intent;
}

const submit = (token: string, body: { uploadIds: string[]; message?: string }) =>
  gateway.post(`/u/${token}/submission`, body);

async function errorOf(response: Response): Promise<ErrorEnvelope['error']> {
  return ((await response.json()) as ErrorEnvelope).error;
}

function blobNameOf(intent: UploadIntent): string {
  return decodeURIComponent(new URL(intent.uploadUrl).pathname.split('/').slice(3).join('/'));
}

async function stored(name: string): Promise<boolean> {
  return gateway.container.getBlobClient(name).exists();
}

async function eventsOf(linkId: string, count: number): Promise<UploadCompletedEvent[]> {
  return eventually(`${count} upload.completed for ${linkId}`, async () => {
    const found = (await gateway.completedEvents()).filter((event) => event.linkId === linkId);
    return found.length >= count ? found : undefined;
  });
}

describe('a submission of several files', () => {
  it("receives every file and the customer's message with one upload.completed, and answers a repeat the same", async () => {
    const { token, linkId } = await gateway.createLink();
    const intents = [
      await uploaded(token, 'invoice-1.pdf', pdfBytes(10)),
      await uploaded(token, 'invoice-2.pdf', pdfBytes(20)),
      await uploaded(token, 'invoice-3.pdf', pdfBytes(30)),
    ];
    const uploadIds = intents.map((intent) => intent.uploadId);
    const body = { uploadIds, message: '  Three invoices.\nThe last one is the new one.  ' };
    const response = await submit(token, body);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const receipt = (await response.json()) as SubmissionReceipt;
    expect(receipt).toEqual({
      status: 'received',
      receivedAt: expect.any(String),
      files: [
        { uploadId: uploadIds[0], fileName: 'invoice-1.pdf' },
        { uploadId: uploadIds[1], fileName: 'invoice-2.pdf' },
        { uploadId: uploadIds[2], fileName: 'invoice-3.pdf' },
      ],
    });

    const link = await gateway.links.getById(linkId);
    expect(link?.status).toBe('received');
    expect(link?.customerMessage).toBe('Three invoices.\nThe last one is the new one.');
    expect(link?.files?.map((file) => file.uploadId)).toEqual(uploadIds);
    const [event] = await eventsOf(linkId, 1);
    if (!event) throw new Error('no upload.completed');
    expect(event.schemaVersion).toBe(2);
    expect(completedFiles(event)).toEqual(link?.files);
    expect(event.data).toMatchObject({ customerMessage: 'Three invoices.\nThe last one is the new one.' });
    // What is kept of each file is its verified copy; the upload blobs are gone.
    for (const intent of intents) {
      expect(await stored(blobNameOf(intent))).toBe(false);
      expect(await stored(verifiedBlobName(blobNameOf(intent)))).toBe(true);
    }

    // The browser's retry, after a network error, gets the same receipt and changes nothing.
    const again = await submit(token, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(receipt);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await gateway.completedEvents()).filter((e) => e.linkId === linkId)).toHaveLength(1);
  });

  it('fails whole on a bad third file, naming it; the link stays usable and the other files are sent again without uploading them', async () => {
    const { token, linkId } = await gateway.createLink();
    const first = await uploaded(token, 'photo-1.pdf', pdfBytes(1));
    const second = await uploaded(token, 'photo-2.pdf', pdfBytes(2));
    const bad = await uploaded(token, 'photo-3.pdf', exeBytes());
    const refused = await submit(token, { uploadIds: [first.uploadId, second.uploadId, bad.uploadId] });
    expect(refused.status).toBe(422);
    const error = await errorOf(refused);
    expect(error.code).toBe('upload_rejected');
    expect(error.uploadId).toBe(bad.uploadId);
    expect(error.message).toMatch(/^photo-3\.pdf: \S/);
    expect(await gateway.linkStatus(linkId)).toBe('pending');
    // The bad file is deleted and its upload rejected; the others wait, as they were.
    expect(await stored(blobNameOf(bad))).toBe(false);
    expect(await stored(verifiedBlobName(blobNameOf(bad)))).toBe(false);
    expect((await gateway.store.uploads.get(bad.uploadId))?.state).toBe('rejected');
    for (const good of [first, second]) {
      expect((await gateway.store.uploads.get(good.uploadId))?.state).toBe('issued');
      expect(await stored(blobNameOf(good))).toBe(true);
    }
    // The refused file cannot come back in another submission.
    const withBadAgain = await submit(token, { uploadIds: [first.uploadId, bad.uploadId] });
    expect(withBadAgain.status).toBe(422);
    expect(await errorOf(withBadAgain)).toMatchObject({ code: 'upload_rejected', uploadId: bad.uploadId });

    const replacement = await uploaded(token, 'photo-3-again.pdf', pdfBytes(3));
    const uploadIds = [first.uploadId, second.uploadId, replacement.uploadId];
    const accepted = await submit(token, { uploadIds });
    expect(accepted.status, await accepted.clone().text()).toBe(200);
    const [event] = await eventsOf(linkId, 1);
    expect(event && completedFiles(event).map((file) => file.uploadId)).toEqual(uploadIds);
  });

  it('refuses more files, or more bytes together, than the media policy allows, and an intent for a file no submission could hold', async () => {
    const { token, linkId } = await gateway.createLink();
    const bytes = pdfBytes(100);
    const intents = [
      await uploaded(token, 'a.pdf', bytes),
      await uploaded(token, 'b.pdf', bytes),
      await uploaded(token, 'c.pdf', bytes),
    ];
    const uploadIds = intents.map((intent) => intent.uploadId);
    try {
      await gateway.updateMediaPolicy({ maxFilesPerSubmission: 2 });
      const tooMany = await submit(token, { uploadIds });
      expect(tooMany.status).toBe(413);
      expect((await errorOf(tooMany)).message).toBe('At most 2 files can be sent together; this has 3.');

      await gateway.updateMediaPolicy({ maxFilesPerSubmission: 10, maxSubmissionBytes: 2 * bytes.length });
      const tooLarge = await submit(token, { uploadIds });
      expect(tooLarge.status).toBe(413);
      expect(await errorOf(tooLarge)).toMatchObject({ code: 'payload_too_large' });
      const intent = await gateway.post(`/u/${token}/uploads`, pdfIntent(2 * bytes.length + 1, 'd.pdf'));
      expect(intent.status).toBe(413);
      expect((await errorOf(intent)).message).toMatch(/can be sent together\.$/);

      // Within both limits, the same files are received: nothing was discarded by the refusals.
      const withinLimits = await submit(token, { uploadIds: uploadIds.slice(0, 2) });
      expect(withinLimits.status, await withinLimits.clone().text()).toBe(200);
      expect(await gateway.linkStatus(linkId)).toBe('received');
    } finally {
      await gateway.updateMediaPolicy({ maxFilesPerSubmission: 10, maxSubmissionBytes: null });
    }
  });

  it("refuses another link's upload, the same upload twice, and a message with control characters", async () => {
    const { token } = await gateway.createLink();
    const other = await gateway.createLink();
    const mine = await uploaded(token, 'mine.pdf');
    const theirs = await uploaded(other.token, 'theirs.pdf');
    const foreign = await submit(token, { uploadIds: [mine.uploadId, theirs.uploadId] });
    expect(foreign.status).toBe(404);
    expect(await errorOf(foreign)).toMatchObject({ code: 'not_found', uploadId: theirs.uploadId });
    const twice = await submit(token, { uploadIds: [mine.uploadId, mine.uploadId] });
    expect(twice.status).toBe(400);
    expect((await submit(token, { uploadIds: [] })).status).toBe(400);
    const bell = await submit(token, { uploadIds: [mine.uploadId], message: 'ring \u0007' });
    expect(bell.status).toBe(400);
    expect((await errorOf(bell)).message).toContain('body/message');
    // A message of white space only is no message.
    const blank = await submit(token, { uploadIds: [mine.uploadId], message: ' \n ' });
    expect(blank.status, await blank.clone().text()).toBe(200);
    expect((await gateway.links.findByTokenHash(hashSecret(token)))?.customerMessage).toBeUndefined();
  });

  it('lets one of concurrent submissions win; the others get 409 and their files are deleted, and a repeat racing its first try gets the receipt', async () => {
    const { token, linkId } = await gateway.createLink();
    const sets = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => [
        await uploaded(token, `set-${i}-a.pdf`, pdfBytes(i)),
        await uploaded(token, `set-${i}-b.pdf`, pdfBytes(i + 10)),
      ]),
    );
    // Each set sent twice at once: a browser's retry racing its first try.
    const answers = await Promise.all(
      sets.flatMap((set) => {
        const body = { uploadIds: set.map((intent) => intent.uploadId) };
        return [submit(token, body), submit(token, body)];
      }),
    );
    const statuses = answers.map((answer) => answer.status);
    const won = statuses.indexOf(200);
    const winner = sets[Math.floor(won / 2)] ?? [];
    expect(statuses.filter((status) => status === 200)).toHaveLength(2);
    expect(statuses.filter((status) => status === 409)).toHaveLength(10);
    expect(statuses[won + (won % 2 === 0 ? 1 : -1)]).toBe(200);
    expect(await gateway.linkStatus(linkId)).toBe('received');
    const [event] = await eventsOf(linkId, 1);
    expect(event && completedFiles(event).map((file) => file.uploadId)).toEqual(
      winner.map((intent) => intent.uploadId),
    );
    for (const intent of sets.flat()) {
      const kept = winner.includes(intent);
      expect(await stored(verifiedBlobName(blobNameOf(intent))), intent.uploadId).toBe(kept);
      expect(await stored(blobNameOf(intent))).toBe(false);
    }
  }, 60_000);
});

describe('the one-file path', () => {
  it('completes one file as a submission of it alone: the receipt of before, one file in the event, no message', async () => {
    const { token, linkId } = await gateway.createLink();
    const intent = await uploaded(token, 'label.pdf');
    const response = await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`);
    expect(response.status).toBe(200);
    expect(Object.keys((await response.json()) as object).sort()).toEqual(['receivedAt', 'status']);
    const [event] = await eventsOf(linkId, 1);
    expect(event && completedFiles(event).map((file) => file.fileName)).toEqual(['label.pdf']);
    expect(event?.data).not.toHaveProperty('customerMessage');
    // The same file as a submission afterwards: already received, the same receipt.
    const again = await submit(token, { uploadIds: [intent.uploadId] });
    expect(again.status).toBe(200);
    expect(((await again.json()) as SubmissionReceipt).files).toEqual([
      { uploadId: intent.uploadId, fileName: 'label.pdf' },
    ]);
  });

  it('names the upload of a refused file, without its name in the message', async () => {
    const { token } = await gateway.createLink();
    const bad = await uploaded(token, 'setup.pdf', exeBytes());
    const response = await gateway.post(`/u/${token}/uploads/${bad.uploadId}/complete`);
    expect(response.status).toBe(422);
    const error = await errorOf(response);
    expect(error.uploadId).toBe(bad.uploadId);
    expect(error.message).not.toContain('setup.pdf');
  });
});

// A link received with several files: the API lists every file and the customer's message, and
// previews read the file `?uploadId=` names.
import type { UploadedFile } from '@uplink/contracts';
import { type Service, systemClock } from '@uplink/kit';
import { API_KEY, auth, type LinkServiceHarness, linkServiceHarness } from '@uplink/testing/link-service';
import { type UploadGatewayHarness, uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { beforeAll, describe, expect, it } from 'vitest';

let h: LinkServiceHarness;
let gateway: UploadGatewayHarness;
let withStorage: Service;

beforeAll(async () => {
  h = await linkServiceHarness();
  gateway = await uploadGatewayHarness({ infra: h.infra });
  withStorage = await h.build({ storage: gateway.storage, clock: systemClock });
}, 60_000);

const get = (url: string) => withStorage.app.inject({ method: 'GET', url, headers: auth(API_KEY) });

/** A file of `text` in the gateway's container, as a received file names it. */
async function storedFile(uploadId: string, fileName: string, text: string): Promise<UploadedFile> {
  const bytes = Buffer.from(text);
  const blobName = `link-files/${uploadId}`;
  const uploaded = await gateway.container.getBlockBlobClient(blobName).upload(bytes, bytes.length);
  return {
    uploadId,
    kind: 'file',
    category: 'document',
    fileName,
    contentType: 'text/plain',
    size: bytes.length,
    container: gateway.container.containerName,
    blobName,
    etag: uploaded.etag ?? '',
  };
}

/** A link of the API received with `files` and, when given, the customer's message. */
async function receivedLink(files: UploadedFile[], customerMessage?: string): Promise<string> {
  const created = await withStorage.app.inject({
    method: 'POST',
    url: '/v1/links',
    headers: auth(API_KEY),
    payload: { ticket: { provider: 'freshdesk', id: 'F-1' } },
  });
  expect(created.statusCode).toBe(201);
  const pending = await h.store.links.getById(created.json().id);
  if (!pending) throw new Error('link not stored');
  const submission = customerMessage === undefined ? { files } : { files, customerMessage };
  if (!(await h.store.links.markReceived(pending, submission, new Date()))) throw new Error('not received');
  return pending._id;
}

describe('a link received with several files', () => {
  it("lists every file and the customer's message, and keeps file as the first for older clients", async () => {
    const files = [
      await storedFile('upl_FILESFILESFILES00001', 'one.txt', 'the first file'),
      await storedFile('upl_FILESFILESFILES00002', 'two.txt', 'the second file'),
    ];
    const linkId = await receivedLink(files, 'Both logs.\nThe second is from today.');
    const view = (await get(`/v1/links/${linkId}`)).json();
    expect(view).toMatchObject({
      status: 'received',
      customerMessage: 'Both logs.\nThe second is from today.',
      file: { fileName: 'one.txt', contentType: 'text/plain', size: 14, kind: 'file' },
      files: [
        { uploadId: 'upl_FILESFILESFILES00001', fileName: 'one.txt', size: 14 },
        { uploadId: 'upl_FILESFILESFILES00002', fileName: 'two.txt', size: 15 },
      ],
    });
    expect(view.file).not.toHaveProperty('uploadId');
    const listed = (await get('/v1/tickets/freshdesk/F-1/links')).json().links;
    expect(listed.find((link: { id: string }) => link.id === linkId)?.files).toHaveLength(2);
  });

  it('previews the file ?uploadId= names, the first without it, and no file of another link', async () => {
    const files = [
      await storedFile('upl_FILESFILESFILES00003', 'three.txt', 'the third file'),
      await storedFile('upl_FILESFILESFILES00004', 'four.txt', 'the fourth file'),
    ];
    const linkId = await receivedLink(files);
    const served = async (query: string) => {
      const answer = await get(`/v1/links/${linkId}/file-url${query}`);
      expect(answer.statusCode, answer.body).toBe(200);
      return (await fetch(answer.json().url)).text();
    };
    expect(await served('')).toBe('the third file');
    expect(await served('?uploadId=upl_FILESFILESFILES00004')).toBe('the fourth file');
    expect(await served('?uploadId=upl_FILESFILESFILES00003')).toBe('the third file');

    const elsewhere = await get(`/v1/links/${linkId}/file-url?uploadId=upl_FILESFILESFILES00001`);
    expect(elsewhere.statusCode).toBe(404);
    expect((await get(`/v1/links/${linkId}/file-url?uploadId=nope`)).statusCode).toBe(400);
    const rendering = await get(`/v1/links/${linkId}/file-rendering?uploadId=upl_FILESFILESFILES00004`);
    // A text file has no rendering: the route found the file and refused its type.
    expect(rendering.statusCode).toBe(415);
  });

  it('shows no customer message when the customer wrote none', async () => {
    const linkId = await receivedLink([await storedFile('upl_FILESFILESFILES00005', 'five.txt', 'five')]);
    const view = (await get(`/v1/links/${linkId}`)).json();
    expect(view).not.toHaveProperty('customerMessage');
    expect(view.files).toHaveLength(1);
  });
});

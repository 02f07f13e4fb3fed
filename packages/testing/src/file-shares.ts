// Viewer links (/f/<token>) to files in an upload-gateway harness's container, made the way
// note-relay makes them: a blob with the file's bytes and content type, and a FileShareStore share.

import { randomBytes } from 'node:crypto';
import type { MediaCategory, UploadedFile } from '@uplink/contracts';
import { randomId } from '@uplink/kit';
import type { FileShareStore } from '@uplink/store';
import type { UploadGatewayHarness } from './upload-gateway.ts';

const HOUR_MS = 60 * 60 * 1000;

export type Shared = { token: string; url: string; bytes: Buffer; linkId: string; file: UploadedFile };

/** A blob in the gateway's container and a viewer link to it. */
export async function shareFile(
  gateway: UploadGatewayHarness,
  shares: Pick<FileShareStore, 'create'>,
  file: { fileName: string; contentType: string; category: MediaCategory },
  options: { ttlMs?: number; now?: Date; linkId?: string } = {},
): Promise<Shared> {
  const bytes = randomBytes(2048 + Math.floor(Math.random() * 1024));
  const uploadId = randomId('upl');
  const blobName = `${gateway.tenantId}/${uploadId}`;
  const uploaded = await gateway.container
    .getBlockBlobClient(blobName)
    .uploadData(bytes, { blobHTTPHeaders: { blobContentType: file.contentType } });
  const uploadedFile: UploadedFile = {
    uploadId,
    kind: 'file',
    ...file,
    size: bytes.length,
    container: gateway.container.containerName,
    blobName,
    etag: uploaded.etag ?? '"0x0"',
  };
  const linkId = options.linkId ?? randomId('lnk');
  const { token } = await shares.create({
    tenantId: gateway.tenantId,
    linkId,
    file: uploadedFile,
    ttlMs: options.ttlMs ?? 24 * HOUR_MS,
    now: options.now ?? new Date(),
  });
  return { token, url: `${gateway.baseUrl}/f/${token}`, bytes, linkId, file: uploadedFile };
}

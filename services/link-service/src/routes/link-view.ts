import type { LinkView, UploadedFile } from '@uplink/contracts';
import { effectiveStatus, type LinkDocument } from '@uplink/links';

/** What the API shows of a received file; `deletedAt` once retention deleted the link's files. */
function fileFacts(file: UploadedFile, deletedAt: Date | undefined) {
  return {
    fileName: file.fileName,
    contentType: file.contentType,
    size: file.size,
    kind: file.kind,
    ...(deletedAt ? { deletedAt: deletedAt.toISOString() } : {}),
  };
}

/** The API's view of a link, with its status computed against the server's clock. */
export function toLinkView(link: LinkDocument, now: Date): LinkView {
  const status = effectiveStatus(link, now);
  const received = link.files ?? [];
  const [first] = received;
  return {
    id: link._id,
    shortId: link.shortId,
    ticket: link.ticket,
    status,
    ...(link.contextMessage !== undefined ? { contextMessage: link.contextMessage } : {}),
    validityHours: link.validityHours,
    createdAt: link.createdAt.toISOString(),
    expiresAt: link.expiresAt.toISOString(),
    ...(status === 'pending'
      ? { expiresInSeconds: Math.floor((link.expiresAt.getTime() - now.getTime()) / 1000) }
      : {}),
    ...(link.createdBy ? { createdBy: link.createdBy } : {}),
    ...(link.revokedAt ? { revokedAt: link.revokedAt.toISOString() } : {}),
    ...(link.revokedBy ? { revokedBy: link.revokedBy } : {}),
    ...(link.receivedAt ? { receivedAt: link.receivedAt.toISOString() } : {}),
    ...(link.deliveredAt ? { deliveredAt: link.deliveredAt.toISOString() } : {}),
    ...(link.delivery?.target ? { delivery: link.delivery.target } : {}),
    ...(link.delivery?.reason && status === 'delivery_failed'
      ? { deliveryFailure: link.delivery.reason }
      : {}),
    // `file`, the first file, for clients from before a submission could hold several.
    ...(first ? { file: fileFacts(first, link.fileDeletedAt) } : {}),
    ...(first
      ? {
          files: received.map((file) => ({
            uploadId: file.uploadId,
            ...fileFacts(file, link.fileDeletedAt),
          })),
        }
      : {}),
    ...(link.customerMessage !== undefined ? { customerMessage: link.customerMessage } : {}),
    ...(link.rejectionNotifiedAt ? { customerAttemptRefused: true } : {}),
    ...(link.blockedUpload
      ? { blockedUpload: { ...link.blockedUpload, blockedAt: link.blockedUpload.blockedAt.toISOString() } }
      : {}),
  };
}

export function replyText(url: string, validityHours: number): string {
  const hours = validityHours === 1 ? '1 hour' : `${validityHours} hours`;
  return `Please use this link to share a file with us: ${url}. It expires in ${hours}.`;
}

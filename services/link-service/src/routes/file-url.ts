import { ErrorEnvelope, FileUrl, LinkParams } from '@uplink/contracts';
import { AppError, type Clock, type HttpApp, notFound } from '@uplink/kit';
import type { LinkStore } from '@uplink/links';
import type { BlobStorage } from '@uplink/storage';

/** How long a preview URL reads the blob: long enough to play a recording, short enough to leak little. */
export const PREVIEW_URL_MS = 5 * 60 * 1000;

export type FileUrlRoutesDeps = {
  links: LinkStore;
  /** Absent when link-service has no blob storage configured: previews are then off. */
  storage: BlobStorage | undefined;
  clock: Clock;
};

export function fileUrlRoutes(app: HttpApp, deps: FileUrlRoutesDeps): void {
  const { links, storage, clock } = deps;
  app.get(
    '/v1/links/:id/file-url',
    {
      schema: {
        summary: "A short-lived read URL for a link's received file",
        description:
          "For an inline preview: read-only, valid 5 minutes, served with the verified content type and shown inline. 404 while the link has no file, or when this link-service has no blob storage configured; 410 once the file was deleted (the tenant's retention ran out).",
        tags: ['links'],
        security: [{ apiKey: [] }],
        params: LinkParams,
        response: {
          200: FileUrl,
          400: ErrorEnvelope,
          401: ErrorEnvelope,
          404: ErrorEnvelope,
          410: ErrorEnvelope,
        },
      },
    },
    async (request, reply) => {
      const link = await links.get(request.tenantId, request.params.id);
      if (!link) throw notFound('No such link.');
      const file = link.upload;
      if (!file) throw notFound('The link has no received file.');
      if (link.fileDeletedAt) {
        throw new AppError(
          'file_deleted',
          `The file was deleted on ${link.fileDeletedAt.toISOString().slice(0, 10)}: the retention period set in the media policy had run out.`,
        );
      }
      if (!storage) throw notFound('Previews are off: this link-service has no blob storage configured.');
      const now = clock.now();
      // Only the bytes verified at completion: for files stored before verified copies, the blob
      // could have been replaced while its upload SAS was valid.
      const url = await storage.readUrlIfUnchanged(file.blobName, file.etag, PREVIEW_URL_MS, now, {
        contentType: file.contentType,
        fileName: file.fileName,
        disposition: 'inline',
      });
      if (!url) throw new AppError('file_deleted', 'The file is no longer in storage as it was received.');
      return reply.header('cache-control', 'no-store').send({
        url,
        contentType: file.contentType,
        expiresAt: new Date(now.getTime() + PREVIEW_URL_MS).toISOString(),
      });
    },
  );
}

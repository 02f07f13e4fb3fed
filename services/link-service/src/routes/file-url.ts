import { ErrorEnvelope, FileQuery, FileUrl, LinkParams, type UploadedFile } from '@uplink/contracts';
import { AppError, type Clock, forbidden, type HttpApp, notFound } from '@uplink/kit';
import type { BlobStore } from '@uplink/storage';
import type { AuditRecorder, LinkStore, TenantStore } from '@uplink/store';
import { Type } from 'typebox';
import type { Principal } from '../auth.ts';
import { MAX_RENDERED_BYTES, RENDERED_TYPES, renderHeicAsJpeg } from '../heic-rendering.ts';

/** How long a preview URL reads the blob: long enough to play a recording, short enough to leak little. */
export const PREVIEW_URL_MS = 5 * 60 * 1000;

export type FileUrlRoutesDeps = {
  links: LinkStore;
  /** Whether the tenant's files need sign-in (then only agent sessions get previews). */
  tenants: Pick<TenantStore, 'getSettings'>;
  /** Absent when link-service has no blob storage configured: previews are then off. */
  storage: BlobStore | undefined;
  audit: AuditRecorder;
  clock: Clock;
};

const FILE_GONE = 'The file is no longer in storage as it was received.';

/** The refusals of every route that reads a link's received file (receivedFile's, and the API key's). */
const receivedFileErrors = {
  400: ErrorEnvelope,
  401: ErrorEnvelope,
  404: ErrorEnvelope,
  410: ErrorEnvelope,
} as const;

export function fileUrlRoutes(app: HttpApp, deps: FileUrlRoutesDeps): void {
  const { links, tenants, storage, audit, clock } = deps;

  /**
   * One received file of the link (`uploadId`, or its first), while storage still has it as
   * verified, for whoever may see it; throws the answer otherwise. Where the tenant's files need
   * sign-in, a preview is for a person signed in (an agent or admin session), never for an API key.
   */
  async function receivedFile(
    principal: Principal,
    linkId: string,
    uploadId: string | undefined,
  ): Promise<{ file: UploadedFile; storage: BlobStore }> {
    const { tenantId } = principal;
    const link = await links.get(tenantId, linkId);
    if (!link) throw notFound('No such link.');
    const files = link.files ?? [];
    if (files.length === 0) throw notFound('The link has no received file.');
    const file =
      uploadId === undefined ? files[0] : files.find((candidate) => candidate.uploadId === uploadId);
    if (!file) throw notFound('The link has no received file with this uploadId.');
    if (link.fileDeletedAt) {
      throw new AppError(
        'file_deleted',
        `The file was deleted on ${link.fileDeletedAt.toISOString().slice(0, 10)}: the retention period set in the media policy had run out.`,
      );
    }
    if (!storage) throw notFound('Previews are off: this link-service has no blob storage configured.');
    if (principal.sessionId === undefined && (await tenants.getSettings(tenantId))?.filesNeedSignIn) {
      throw forbidden(
        "This tenant's files need sign-in: previews are for agent sessions (the console's sign-in, or a helpdesk app's session), not for API keys.",
      );
    }
    return { file, storage };
  }

  app.get(
    '/v1/links/:id/file-url',
    {
      config: { access: 'links' },
      schema: {
        summary: "A short-lived read URL for one of a link's received files",
        description:
          "For an inline preview of the file `?uploadId=` names (the link's first file without it): read-only, valid 5 minutes, served with the verified content type and shown inline. 404 while the link has no file, or when this link-service has no blob storage configured; 410 once the file was deleted (the tenant's retention ran out); 403 for an API key when the tenant's files need sign-in (filesNeedSignIn): then only agent sessions get previews.",
        tags: ['links'],
        params: LinkParams,
        querystring: FileQuery,
        response: { 200: FileUrl, ...receivedFileErrors },
      },
    },
    async (request, reply) => {
      const { file, storage } = await receivedFile(
        request.principal,
        request.params.id,
        request.query.uploadId,
      );
      const now = clock.now();
      // Only the bytes verified at completion: for files stored before verified copies, the blob
      // could have been replaced while its upload SAS was valid.
      const url = await storage.readUrlIfUnchanged(file.blobName, file.etag, PREVIEW_URL_MS, now, {
        contentType: file.contentType,
        fileName: file.fileName,
        disposition: 'inline',
      });
      if (!url) throw new AppError('file_deleted', FILE_GONE);
      await audit.record(request.principal.tenantId, 'file.previewed', request.principal.actor, {
        linkId: request.params.id,
        details: { uploadId: file.uploadId, fileName: file.fileName },
      });
      return reply.header('cache-control', 'no-store').send({
        url,
        contentType: file.contentType,
        expiresAt: new Date(now.getTime() + PREVIEW_URL_MS).toISOString(),
      });
    },
  );

  app.get(
    '/v1/links/:id/file-rendering',
    {
      config: { access: 'links' },
      schema: {
        summary:
          "A JPEG rendering of a link's received HEIC or HEIF photo (`?uploadId=`, else its first file)",
        description:
          'For previews in browsers that cannot show HEIC (all but Safari): the verified photo decoded and encoded as JPEG, made on each request and never stored; the file itself stays as the customer sent it. 415 for any other type, 413 for a photo over 25 MB; otherwise as the file URL route.',
        tags: ['links'],
        params: LinkParams,
        querystring: FileQuery,
        produces: ['image/jpeg', 'application/json'],
        response: {
          200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'The photo as a JPEG.' }),
          ...receivedFileErrors,
          413: ErrorEnvelope,
          415: ErrorEnvelope,
        },
      },
    },
    async (request, reply) => {
      const { file, storage } = await receivedFile(
        request.principal,
        request.params.id,
        request.query.uploadId,
      );
      if (!RENDERED_TYPES.has(file.contentType)) {
        throw new AppError('unsupported_media_type', 'Renderings are made of HEIC and HEIF photos only.');
      }
      if (file.size > MAX_RENDERED_BYTES) {
        throw new AppError('payload_too_large', 'The photo is too large to render; download it instead.');
      }
      const opened = await storage.openRead(file.blobName, file.etag);
      if (!opened) throw new AppError('file_deleted', FILE_GONE);
      const chunks: Buffer[] = [];
      for await (const chunk of opened.stream) chunks.push(Buffer.from(chunk as Uint8Array));
      let jpeg: Uint8Array;
      try {
        jpeg = await renderHeicAsJpeg(Buffer.concat(chunks));
      } catch (error) {
        throw new AppError('unsupported_media_type', 'The photo could not be decoded for a preview.', {
          cause: error,
        });
      }
      await audit.record(request.principal.tenantId, 'file.previewed', request.principal.actor, {
        linkId: request.params.id,
        details: { uploadId: file.uploadId, fileName: file.fileName, rendering: 'image/jpeg' },
      });
      return reply
        .headers({ 'content-type': 'image/jpeg', 'cache-control': 'private, no-store' })
        .send(Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength));
    },
  );
}

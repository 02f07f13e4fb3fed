// The upload record an upload intent writes, as the baselines of the intent benchmarks write it:
// the fields upload-gateway stores for an issued upload, its SAS valid for 15 minutes.

export type IntentBody = { fileName: string; contentType: string; size: number; kind: string };

export function intentUpload(
  ids: { uploadId: string; tenantId: string; linkId: string },
  body: IntentBody,
  now: Date,
) {
  const { uploadId, tenantId, linkId } = ids;
  return {
    _id: uploadId,
    tenantId,
    linkId,
    blobName: `${tenantId}/${linkId}/${uploadId}`,
    kind: body.kind,
    category: 'document',
    fileName: body.fileName,
    contentType: body.contentType,
    size: body.size,
    state: 'issued',
    createdAt: now,
    sasExpiresAt: new Date(now.getTime() + 15 * 60_000),
    updatedAt: now,
  };
}

// Where an upload's bytes live in the container. The customer's SAS names exactly one blob, the
// upload blob; completion copies it, on the server, to the verified blob, which no SAS ever
// names. Every read URL Uplink hands out is for the verified blob, so what was checked is what
// is served, whatever the SAS still allows on the upload blob until it expires.

const VERIFIED_PREFIX = 'verified/';

/** Random and opaque: the browser sees this name, so it carries no tenant or link id. The day prefix keeps listings and lifecycle rules manageable. */
export function uploadBlobName(uploadId: string, now: Date): string {
  return `${now.toISOString().slice(0, 10)}/${uploadId}`;
}

/** The verified copy of an upload blob: one per upload, so concurrent completions agree on it. */
export function verifiedBlobName(uploadBlob: string): string {
  return `${VERIFIED_PREFIX}${uploadBlob}`;
}

/** Every blob an upload may have left in storage: what its SAS created, and the verified copy. */
export function blobsOfUpload(uploadBlob: string): string[] {
  return [uploadBlob, verifiedBlobName(uploadBlob)];
}

/**
 * The same, from the blob a link's file is stored in: its verified copy, or for files received
 * before verified copies existed, the upload blob itself.
 */
export function blobsOfFile(fileBlob: string): string[] {
  const uploadBlob = fileBlob.startsWith(VERIFIED_PREFIX) ? fileBlob.slice(VERIFIED_PREFIX.length) : fileBlob;
  return blobsOfUpload(uploadBlob);
}

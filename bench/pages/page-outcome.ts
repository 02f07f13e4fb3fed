/** What the resumable-upload page's uploaders resolve with (bench/pages/resumable-upload.ts). */
export type PageOutcome = {
  /** From the call to the uploader's end, in the page's clock. */
  ms: number;
  /** Uplink only: the part of `ms` after the bytes were stored, the completion's verification. */
  verifyingMs?: number;
  /** Why the uploader gave up; absent when it finished. */
  error?: string;
  /** tus only: the upload's URL on the tus server. */
  uploadUrl?: string;
};

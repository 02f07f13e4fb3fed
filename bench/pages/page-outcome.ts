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
  /** Every request the uploader made, in the order they started (the page's resource timing). */
  requests: PageRequest[];
};

/** One request of an upload, its times in ms from the call to the uploader. */
export type PageRequest = { url: string; startMs: number; endMs: number };

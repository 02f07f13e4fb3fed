/** Upload SAS lifetime: long enough for a 20 MB upload on a slow phone, short enough to be useless later. */
export const UPLOAD_SAS_MS = 15 * 60 * 1000;

export type BlobFacts = { size: number; etag: string };

/**
 * What a blob written through an upload SAS turned out to be. A plain upload is a block blob
 * with no snapshots, made by Put Blob or Put Block List; a SAS that may create can also make an
 * append or page blob, copy another blob (by name, from anywhere the service can read), or
 * snapshot its blob.
 */
export type UploadedBlob = BlobFacts & {
  blobType: 'BlockBlob' | 'AppendBlob' | 'PageBlob' | undefined;
  /** Made by Copy Blob or Put Blob From URL: its bytes came from another blob, not the browser. */
  copied: boolean;
  snapshots: number;
};

/** A block staged with Put Block and not committed yet: its id (base64, as sent) and size. */
export type StagedBlock = { id: string; size: number };

/** How a read URL's response presents the file: the verified type, inline or saved under its name. */
export type ReadUrlResponse = {
  contentType?: string;
  fileName?: string;
  disposition?: 'inline' | 'attachment';
};

/**
 * The uploads container, as the services see it: the port blob storage is used through, injected
 * like the store and the event bus. It issues SAS for single new blobs, inspects and reads them
 * during verification, copies them on the server, hands out read URLs and deletes them. The
 * browser only ever gets a SAS; credentials stay in the adapter. Adapter: AzureBlobStore (Azure
 * Blob Storage, and Azurite for npm start and tests); one conformance suite
 * (packages/storage/test/conformance.ts) checks it against each service that serves the Blob API.
 */
export interface BlobStore {
  /** Where blob URLs point (scheme, host, port): the pages' content security policy allows it. */
  readonly origin: string;
  /** The container's name, recorded with each received file. */
  readonly containerName: string;
  /**
   * Creates the container (private) and makes the blob service's CORS rule for the upload page's
   * origin the one the page needs (added, or replaced when different); other rules are kept.
   */
  configure(pageOrigin: string): Promise<void>;
  /**
   * A SAS for exactly one blob that does not exist yet, valid UPLOAD_SAS_MS: create only, plus
   * write when the browser stages blocks. No read, no list, no delete, no other blob.
   */
  uploadUrl(blobName: string, staged: boolean, now: Date): Promise<{ url: string; expiresAt: Date }>;
  /**
   * The blocks staged for a blob and not committed (Get Block List, uncommitted), as storage lists
   * them; none when nothing is staged. What a reopened upload page need not send again: the
   * browser's SAS cannot read the list. Storage keeps uncommitted blocks for about a week.
   */
  uncommittedBlocks(blobName: string): Promise<StagedBlock[]>;
  /** Size and ETag of a committed blob, or undefined when there is none. */
  facts(blobName: string): Promise<BlobFacts | undefined>;
  /** A blob's facts plus what an upload SAS could have made of it; undefined when there is none. */
  inspect(blobName: string): Promise<UploadedBlob | undefined>;
  /**
   * Copies `source`, only while it still has `sourceEtag`, to `destination` on the server, once:
   * when `destination` exists already it is kept ('exists'), so concurrent callers agree on one
   * blob and one ETag. 'source_changed' when the source no longer has that ETag, or is gone.
   */
  copyOnce(
    source: string,
    sourceEtag: string,
    destination: string,
    now: Date,
  ): Promise<{ outcome: 'copied' | 'exists'; facts: BlobFacts } | { outcome: 'source_changed' }>;
  /** The first `count` bytes, only if the blob still has `etag`; undefined when it changed. */
  head(blobName: string, count: number, etag: string): Promise<Uint8Array | undefined>;
  /** The blob as a stream, only if it still has `etag`; undefined when it changed or is gone. */
  openRead(
    blobName: string,
    etag: string,
    signal?: AbortSignal,
  ): Promise<{ stream: NodeJS.ReadableStream; size: number } | undefined>;
  /**
   * A read-only URL for one blob, valid for `ttlMs`. It cannot be made conditional on an ETag:
   * hand these out only for blobs no SAS can write (verified copies), or use readUrlIfUnchanged.
   */
  readUrl(blobName: string, ttlMs: number, now: Date, response?: ReadUrlResponse): Promise<string>;
  /** readUrl, only while the blob still has `etag`; undefined when it changed or is gone. */
  readUrlIfUnchanged(
    blobName: string,
    etag: string,
    ttlMs: number,
    now: Date,
    response?: ReadUrlResponse,
  ): Promise<string | undefined>;
  /** Deletes the blob with its snapshots, whatever holds it (a lease); what is not there is fine. */
  delete(blobName: string): Promise<void>;
  /**
   * Whether `err` is storage refusing a request for the state the blob is in (a lease, a blob
   * type, snapshots), rather than failing to answer or refusing credentials: for a blob a
   * customer's SAS wrote, that is the customer's doing.
   */
  isRefused(err: unknown): boolean;
}

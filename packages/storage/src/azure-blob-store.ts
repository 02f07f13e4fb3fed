import {
  BlobSASPermissions,
  type BlobSASSignatureValues,
  BlobServiceClient,
  type ContainerClient,
  type CorsRule,
  generateBlobSASQueryParameters,
  RestError,
  SASProtocol,
  StorageSharedKeyCredential,
  type UserDelegationKey,
} from '@azure/storage-blob';
import {
  type BlobFacts,
  type BlobStore,
  type ReadUrlResponse,
  type StagedBlock,
  UPLOAD_SAS_MS,
  type UploadedBlob,
} from './blob-store.ts';
import { type AzureStorageConfig, checkAzureStorage } from './storage-env.ts';

/** User delegation keys may live 7 days; one is fetched per hour and used for SAS issued within it. */
const DELEGATION_KEY_MS = 2 * 60 * 60 * 1000;
const DELEGATION_KEY_REFRESH_MS = 60 * 60 * 1000;

/** How long the read SAS a server-side copy reads its source with stays valid. */
const COPY_SOURCE_SAS_MS = 5 * 60 * 1000;

/**
 * The CORS rule the upload page needs: PUT with the headers it sends; the ETag, the request id
 * (for support) and Retry-After (storage's hint when it throttles with 429 or 503) readable.
 */
export function uploadCorsRule(pageOrigin: string): CorsRule {
  return {
    allowedOrigins: pageOrigin,
    allowedMethods: 'PUT',
    allowedHeaders: 'content-type,x-ms-blob-type,x-ms-blob-content-type,x-ms-version,x-ms-client-request-id',
    exposedHeaders: 'etag,x-ms-request-id,retry-after',
    maxAgeInSeconds: 3600,
  };
}

/** Storage may echo the lists in another case or order; what they allow is what counts. */
function sameCorsRule(a: CorsRule, b: CorsRule): boolean {
  const list = (value: string) =>
    value
      .toLowerCase()
      .split(',')
      .map((item) => item.trim())
      .sort()
      .join(',');
  return (
    list(a.allowedMethods) === list(b.allowedMethods) &&
    list(a.allowedHeaders) === list(b.allowedHeaders) &&
    list(a.exposedHeaders) === list(b.exposedHeaders) &&
    a.maxAgeInSeconds === b.maxAgeInSeconds
  );
}

/** The blob no longer has the ETag asked for (412), or no longer exists (404). */
function isChangedOrGone(err: unknown): boolean {
  return err instanceof RestError && (err.statusCode === 412 || err.statusCode === 404);
}

type Signer =
  | { kind: 'shared-key'; credential: StorageSharedKeyCredential }
  | { kind: 'user-delegation'; accountName: string };

/**
 * The BlobStore on Azure Blob Storage (and Azurite, which speaks its API): SAS signed with the
 * account key or a user delegation key from the Azure identity.
 */
export class AzureBlobStore implements BlobStore {
  readonly service: BlobServiceClient;
  readonly container: ContainerClient;
  readonly origin: string;
  readonly #signer: Signer;
  readonly #httpsOnly: boolean;
  #delegationKey: { key: UserDelegationKey; fetchedAt: number } | undefined;

  constructor(service: BlobServiceClient, containerName: string, signer: Signer) {
    this.service = service;
    this.container = service.getContainerClient(containerName);
    this.#signer = signer;
    const url = new URL(service.url);
    this.origin = url.origin;
    // Production endpoints are HTTPS and so is every SAS; Azurite in development speaks HTTP.
    this.#httpsOnly = url.protocol === 'https:';
  }

  get containerName(): string {
    return this.container.containerName;
  }

  /** Loads @azure/identity only when an identity is used: it is large and most setups sign with a key. */
  static async fromConfig(
    config: Pick<
      AzureStorageConfig,
      | 'AZURE_STORAGE_CONNECTION_STRING'
      | 'AZURE_STORAGE_ACCOUNT_NAME'
      | 'AZURE_STORAGE_ACCOUNT_KEY'
      | 'AZURE_STORAGE_BLOB_ENDPOINT'
      | 'AZURE_STORAGE_USE_IDENTITY'
      | 'AZURE_STORAGE_CONTAINER'
    >,
  ): Promise<AzureBlobStore> {
    const container = config.AZURE_STORAGE_CONTAINER;
    if (config.AZURE_STORAGE_CONNECTION_STRING) {
      const service = BlobServiceClient.fromConnectionString(config.AZURE_STORAGE_CONNECTION_STRING);
      const credential = service.credential;
      if (!(credential instanceof StorageSharedKeyCredential)) {
        throw new Error(
          'AZURE_STORAGE_CONNECTION_STRING must carry an AccountKey (a SAS connection string cannot sign).',
        );
      }
      return new AzureBlobStore(service, container, { kind: 'shared-key', credential });
    }
    const [problem] = checkAzureStorage(config);
    if (problem) throw new Error(problem);
    // Set, with a key or an identity: checkAzureStorage found nothing missing.
    const accountName = config.AZURE_STORAGE_ACCOUNT_NAME as string;
    const endpoint = config.AZURE_STORAGE_BLOB_ENDPOINT ?? `https://${accountName}.blob.core.windows.net`;
    if (config.AZURE_STORAGE_USE_IDENTITY) {
      const { DefaultAzureCredential } = await import('@azure/identity');
      const service = new BlobServiceClient(endpoint, new DefaultAzureCredential());
      return new AzureBlobStore(service, container, { kind: 'user-delegation', accountName });
    }
    const credential = new StorageSharedKeyCredential(
      accountName,
      config.AZURE_STORAGE_ACCOUNT_KEY as string,
    );
    return new AzureBlobStore(new BlobServiceClient(endpoint, credential), container, {
      kind: 'shared-key',
      credential,
    });
  }

  /**
   * Creates the container (private) and makes the blob service's CORS rule for the upload page's
   * origin the one uploadCorsRule() describes: added when missing, replaced when an older version
   * of Uplink wrote a different one (so a deployment gets newly exposed headers on its next
   * start). Other CORS rules on the account are kept.
   */
  async configure(pageOrigin: string): Promise<void> {
    await this.container.createIfNotExists();
    const wanted = uploadCorsRule(pageOrigin);
    // Service properties are replaced as a whole: another process configuring its own origin at
    // the same moment can overwrite ours, so read back and try again.
    for (let attempt = 1; ; attempt++) {
      const properties = await this.service.getProperties();
      const rules = properties.cors ?? [];
      const ours = rules.filter((rule) => rule.allowedOrigins === pageOrigin);
      if (ours.length === 1 && ours[0] && sameCorsRule(ours[0], wanted)) return;
      if (attempt > 5) throw new Error(`Could not set the CORS rule for ${pageOrigin} on the blob service.`);
      await this.service.setProperties({
        cors: [...rules.filter((rule) => rule.allowedOrigins !== pageOrigin), wanted],
      });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * attempt));
    }
  }

  /**
   * A SAS for exactly one blob that does not exist yet: create only, plus write when the browser
   * stages blocks (Put Block needs it; the ETag pinned at completion protects what was checked).
   * It grants no read, no list, no delete, and no other blob.
   */
  async uploadUrl(blobName: string, staged: boolean, now: Date): Promise<{ url: string; expiresAt: Date }> {
    const expiresOn = new Date(now.getTime() + UPLOAD_SAS_MS);
    const url = await this.#signedUrl(
      blobName,
      { permissions: BlobSASPermissions.parse(staged ? 'cw' : 'c'), expiresOn },
      now,
    );
    return { url, expiresAt: expiresOn };
  }

  /** Get Block List, uncommitted only; a blob nothing was staged for answers 404: none. */
  async uncommittedBlocks(blobName: string): Promise<StagedBlock[]> {
    try {
      const list = await this.container.getBlockBlobClient(blobName).getBlockList('uncommitted');
      return (list.uncommittedBlocks ?? []).map((block) => ({ id: block.name, size: block.size }));
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return [];
      throw err;
    }
  }

  /** Size and ETag of a committed blob, or undefined when there is none. */
  async facts(blobName: string): Promise<BlobFacts | undefined> {
    try {
      const properties = await this.container.getBlobClient(blobName).getProperties();
      if (properties.contentLength === undefined || properties.etag === undefined) return undefined;
      return { size: properties.contentLength, etag: properties.etag };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  /** A blob's facts plus what an upload SAS could have made of it; undefined when there is none. */
  async inspect(blobName: string): Promise<UploadedBlob | undefined> {
    // Both at once: a completion waits for them.
    const [read, snapshots] = await Promise.allSettled([
      this.container.getBlobClient(blobName).getProperties(),
      this.snapshotsOf(blobName),
    ]);
    if (read.status === 'rejected') {
      if (read.reason instanceof RestError && read.reason.statusCode === 404) return undefined;
      throw read.reason;
    }
    if (snapshots.status === 'rejected') throw snapshots.reason;
    const properties = read.value;
    if (properties.contentLength === undefined || properties.etag === undefined) return undefined;
    return {
      size: properties.contentLength,
      etag: properties.etag,
      blobType: properties.blobType,
      copied: Boolean(properties.copyId || properties.copySource || properties.copyStatus),
      snapshots: snapshots.value.length,
    };
  }

  /** The snapshot times of a blob, oldest first. */
  async snapshotsOf(blobName: string): Promise<string[]> {
    const snapshots: string[] = [];
    for await (const item of this.container.listBlobsFlat({ prefix: blobName, includeSnapshots: true })) {
      if (item.name === blobName && item.snapshot) snapshots.push(item.snapshot);
    }
    return snapshots;
  }

  /**
   * Copies `source`, only while it still has `sourceEtag`, to `destination` in the same container,
   * on the server (the bytes never pass through here), and answers what `destination` holds now.
   * A copy is made once: when `destination` exists already it is kept as it is ('exists'), so
   * concurrent callers agree on one blob and one ETag. 'source_changed' when the source no longer
   * has that ETag, or is gone. Synchronous copy (Copy Blob From URL): up to 256 MiB.
   */
  async copyOnce(
    source: string,
    sourceEtag: string,
    destination: string,
    now: Date,
  ): Promise<{ outcome: 'copied' | 'exists'; facts: BlobFacts } | { outcome: 'source_changed' }> {
    const sourceUrl = await this.readUrl(source, COPY_SOURCE_SAS_MS, now);
    try {
      await this.container.getBlobClient(destination).syncCopyFromURL(sourceUrl, {
        sourceConditions: { ifMatch: sourceEtag },
        conditions: { ifNoneMatch: '*' },
      });
    } catch (err) {
      if (!(err instanceof RestError && [404, 409, 412].includes(err.statusCode ?? 0))) throw err;
      // Which condition failed is told apart by the outcome, not by error codes services spell differently.
      const existing = await this.facts(destination);
      return existing ? { outcome: 'exists', facts: existing } : { outcome: 'source_changed' };
    }
    const copied = await this.facts(destination);
    if (!copied) return { outcome: 'source_changed' };
    return { outcome: 'copied', facts: copied };
  }

  /**
   * The first `count` bytes, read only if the blob still has `etag`. Returns undefined when the
   * blob changed since its properties were read.
   */
  async head(blobName: string, count: number, etag: string): Promise<Uint8Array | undefined> {
    try {
      const buffer = await this.container
        .getBlobClient(blobName)
        .downloadToBuffer(0, count, { conditions: { ifMatch: etag } });
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (err) {
      if (isChangedOrGone(err)) return undefined;
      throw err;
    }
  }

  /**
   * The blob as a stream, only if it still has `etag` (the content verified at completion):
   * read as it is sent, never held whole. Undefined when the blob changed or is gone.
   */
  async openRead(
    blobName: string,
    etag: string,
    signal?: AbortSignal,
  ): Promise<{ stream: NodeJS.ReadableStream; size: number } | undefined> {
    try {
      const response = await this.container.getBlobClient(blobName).download(0, undefined, {
        conditions: { ifMatch: etag },
        ...(signal ? { abortSignal: signal } : {}),
      });
      if (!response.readableStreamBody || response.contentLength === undefined) return undefined;
      return { stream: response.readableStreamBody, size: response.contentLength };
    } catch (err) {
      if (isChangedOrGone(err)) return undefined;
      throw err;
    }
  }

  /**
   * A read-only URL for one blob, valid for `ttlMs`: for agents and webhook receivers. A SAS
   * cannot be made conditional on an ETag, so hand these out only for blobs no SAS can write
   * (the gateway's verified copies), or through readUrlIfUnchanged. The response headers are
   * fixed by the SAS, not taken from the blob: the browser's upload set the blob's own content
   * type, so the verified type is given here, and a file is shown inline or saved under its
   * cleaned name.
   */
  async readUrl(blobName: string, ttlMs: number, now: Date, response: ReadUrlResponse = {}): Promise<string> {
    const disposition = response.fileName
      ? `${response.disposition ?? 'inline'}; filename*=UTF-8''${encodeURIComponent(response.fileName)}`
      : response.disposition;
    return this.#signedUrl(
      blobName,
      {
        permissions: BlobSASPermissions.parse('r'),
        expiresOn: new Date(now.getTime() + ttlMs),
        ...(disposition ? { contentDisposition: disposition } : {}),
        ...(response.contentType ? { contentType: response.contentType } : {}),
      },
      now,
    );
  }

  /**
   * readUrl, only while the blob still has `etag` (the one verified at completion); undefined
   * when it changed or is gone. For a file stored where its upload SAS wrote it (files received
   * before verified copies existed), whose SAS has long expired: the check shows it was not
   * replaced before then.
   */
  async readUrlIfUnchanged(
    blobName: string,
    etag: string,
    ttlMs: number,
    now: Date,
    response: ReadUrlResponse = {},
  ): Promise<string | undefined> {
    const facts = await this.facts(blobName);
    if (facts?.etag !== etag) return undefined;
    return this.readUrl(blobName, ttlMs, now, response);
  }

  /** The blob's URL with a SAS for `values`, signed by the account key or a user delegation key. */
  async #signedUrl(
    blobName: string,
    values: Omit<BlobSASSignatureValues, 'containerName' | 'blobName' | 'protocol'>,
    now: Date,
  ): Promise<string> {
    const options = {
      ...values,
      containerName: this.container.containerName,
      blobName,
      protocol: this.#httpsOnly ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
    };
    const sas =
      this.#signer.kind === 'shared-key'
        ? generateBlobSASQueryParameters(options, this.#signer.credential)
        : generateBlobSASQueryParameters(
            options,
            await this.#userDelegationKey(now),
            this.#signer.accountName,
          );
    return `${this.container.getBlobClient(blobName).url}?${sas.toString()}`;
  }

  /**
   * Deletes the blob with its snapshots; deleting what is not there is fine. A lease taken
   * through an upload SAS (create+write allows acquiring one, for ever) is broken first: nothing a
   * customer did may keep a blob from being deleted.
   */
  async delete(blobName: string): Promise<void> {
    const blob = this.container.getBlobClient(blobName);
    try {
      await blob.deleteIfExists({ deleteSnapshots: 'include' });
    } catch (err) {
      if (!(err instanceof RestError && err.statusCode === 412 && err.code === 'LeaseIdMissing')) throw err;
      await blob.getBlobLeaseClient().breakLease(0);
      await blob.deleteIfExists({ deleteSnapshots: 'include' });
    }
  }

  /** 409 (wrong blob type, archived, snapshots present) or 412 (a lease, a condition). */
  isRefused(err: unknown): boolean {
    return err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412);
  }

  async #userDelegationKey(now: Date): Promise<UserDelegationKey> {
    const cached = this.#delegationKey;
    if (cached && now.getTime() - cached.fetchedAt < DELEGATION_KEY_REFRESH_MS) return cached.key;
    // Valid from a little before now, in case our clock is ahead of Azure's.
    const startsOn = new Date(now.getTime() - 5 * 60 * 1000);
    const key = await this.service.getUserDelegationKey(
      startsOn,
      new Date(now.getTime() + DELEGATION_KEY_MS),
    );
    this.#delegationKey = { key, fetchedAt: now.getTime() };
    return key;
  }
}

import {
  baseMime,
  formatBytes,
  type LinkStatus,
  MEDIA_CATEGORIES,
  MEDIA_TYPES,
  type MediaCategory,
  type MediaPolicy,
  resolveMediaType,
  type SubmissionBody,
  type SubmissionReceipt,
  submissionByteLimit,
  type UploadedFile,
  type UploadIntent,
  type UploadIntentBody,
  type UploadKind,
  type UploadReceipt,
  type UploadResumption,
} from '@uplink/contracts';
import type { OutboxPublisher } from '@uplink/event-bus';
import {
  AppError,
  type Clock,
  hashSecret,
  type Logger,
  logFor,
  notFound,
  randomId,
  unavailable,
} from '@uplink/kit';
import type { UploadDocument } from '@uplink/links';
import { effectiveStatus, type LinkDocument } from '@uplink/links';
import { type MalwareScanner, ScannerUnavailableError, type ScanVerdict } from '@uplink/scanning';
import type { BlobStore } from '@uplink/storage';
import type { AuditRecorder, LinkStore, UploadStore } from '@uplink/store';
import type { SettingsSource } from '@uplink/tenants';
import { blobsOfUpload, uploadBlobName, verifiedBlobName } from './blob-names.ts';
import type { CustomerActor } from './customer-actor.ts';
import { cleanFileName } from './file-name.ts';
import { GONE_MESSAGES, goneReason } from './link-availability.ts';
import { checkContent, SNIFF_BYTES } from './verification/content-check.ts';

export type UploadFlowDeps = {
  links: LinkStore;
  tenants: SettingsSource;
  uploads: UploadStore;
  storage: BlobStore;
  outbox: OutboxPublisher;
  audit: AuditRecorder;
  clock: Clock;
  logger: Logger;
  /** The largest block the page may stage; files larger than this are always staged. */
  blockBytes: number;
  /** Files larger than this are staged too: one Put Blob loses everything when a connection drops. */
  singlePutMaxBytes: number;
  /** Sees every file before it is accepted, unless the tenant turned scanning off; none: no scanning. */
  scanner: MalwareScanner | undefined;
};

/** A reopened page gets a new SAS when the one its intent has runs out sooner than this. */
const RESUME_SAS_MARGIN_MS = 5 * 60 * 1000;

const DEFAULT_DISABLED_MESSAGE = 'This company does not accept files through this link at the moment.';
const NOT_AN_UPLOAD_MESSAGE =
  'The file was not sent the way this page sends files; send it again from the page.';
const CHANGED_MESSAGE = 'The file changed while it was being checked; send it again.';
// The customer may not know the file carries anything: say what happened, not what was found.
const BLOCKED_MESSAGE =
  'Our security check did not clear this file, so it was not sent. Please send a different file, or ask the support team for another way to share it.';
const TOO_LARGE_TO_SCAN_MESSAGE =
  'The file is too large for our security check, so it was not sent; send a smaller file.';

/** Which seed-list categories a kind may produce: recordings have one, a picked file any. */
function categoriesFor(kind: UploadKind): readonly MediaCategory[] {
  if (kind === 'audio') return ['audio'];
  if (kind === 'video') return ['video'];
  return MEDIA_CATEGORIES;
}

function allowedCategories(policy: MediaPolicy): MediaCategory[] {
  return MEDIA_CATEGORIES.filter((category) => policy.categories[category].allowed);
}

/**
 * Agents' tools open attachments by extension, so the name must say what the content is:
 * `scan.pdf` holding a JPEG becomes `scan.jpg`.
 */
export function withExtensionFor(fileName: string, contentType: string): string {
  const type = MEDIA_CATEGORIES.flatMap((category) => MEDIA_TYPES[category]).find(
    (t) => t.mime === contentType,
  );
  if (!type) return fileName;
  const dot = fileName.lastIndexOf('.');
  const extension = dot > 0 ? fileName.slice(dot + 1).toLowerCase() : '';
  if (type.extensions.includes(extension)) return fileName;
  const stem = dot > 0 ? fileName.slice(0, dot) : fileName;
  return `${stem}.${type.extensions[0]}`;
}

/** Whether the link was received with this upload among its files. */
function receivedWith(link: LinkDocument, upload: UploadDocument): boolean {
  return link.files?.some((file) => file.uploadId === upload._id) ?? false;
}

/** Whether the link was received with every one of these uploads among its files. */
function receivedAll(link: LinkDocument, submitted: UploadDocument[]): boolean {
  return submitted.every((upload) => receivedWith(link, upload));
}

/**
 * How many files, and how many bytes together (as declared; each is verified to match), the
 * policy lets one submission hold.
 */
function checkSubmissionLimits(policy: MediaPolicy, submitted: UploadDocument[]): void {
  if (submitted.length > policy.maxFilesPerSubmission) {
    // Too large in files rather than bytes; the request itself is well-formed, so not a 400.
    throw new AppError(
      'payload_too_large',
      `At most ${policy.maxFilesPerSubmission} files can be sent together; this has ${submitted.length}.`,
    );
  }
  const total = submitted.reduce((sum, upload) => sum + upload.size, 0);
  const limit = submissionByteLimit(policy);
  if (total > limit) {
    throw new AppError(
      'payload_too_large',
      `The files are ${formatBytes(total)} together; at most ${formatBytes(limit)} can be sent together.`,
    );
  }
}

function receiptOf(link: LinkDocument, receivedAt: Date): SubmissionReceipt {
  return {
    status: 'received',
    receivedAt: receivedAt.toISOString(),
    files: (link.files ?? []).map(({ uploadId, fileName }) => ({ uploadId, fileName })),
  };
}

/**
 * A file refused the whole submission: the answer names its upload, and, when the customer sent
 * several, the file in the message too (`photo-3.jpg: <reason>`).
 */
function fileRefusal(upload: UploadDocument, reason: string, several: boolean, cause?: unknown): AppError {
  const message = several ? `${upload.fileName}: ${reason}` : reason;
  return new AppError('upload_rejected', message, { uploadId: upload._id, cause });
}

/** Why a link that is no longer pending takes no files: another submission used it, or it is gone. */
function linkUsedOrGone(status: LinkStatus): AppError {
  const reason = status === 'pending' ? 'used' : goneReason(status);
  if (reason === 'used') {
    return new AppError('link_not_pending', 'Another file was already received through this link.');
  }
  return new AppError('link_gone', GONE_MESSAGES[reason]);
}

/**
 * The customer's side of a link: upload intents and their completion. Everything is keyed by the
 * link token from the URL; nothing here trusts what the browser says about the file until the
 * blob itself was checked.
 */
export class UploadFlow {
  readonly #deps: UploadFlowDeps;

  constructor(deps: UploadFlowDeps) {
    this.#deps = deps;
  }

  /** Checks link and policy, records the intent, and returns a SAS for one new blob. */
  async intent(token: string, body: UploadIntentBody, customer: CustomerActor): Promise<UploadIntent> {
    const { links, uploads, storage, clock } = this.#deps;
    const now = clock.now();
    const link = await this.#pendingLink(token, now);
    const policy = await this.#policyOf(link);
    // A file the policy refuses before it is sent is refused all the same: the audit log says so.
    const refuse = async (refusal: AppError): Promise<never> => {
      await this.#deps.audit.record(link.tenantId, 'upload.refused', customer, {
        linkId: link._id,
        details: { stage: 'intent', fileName: body.fileName, reason: refusal.message },
      });
      throw refusal;
    };
    if (!policy.receiveEnabled) {
      const noted = await links.noteRejectedAttempt(link, now);
      if (noted) this.#deps.outbox.publishSoon(noted._id);
      return refuse(new AppError('receiving_disabled', policy.disabledMessage ?? DEFAULT_DISABLED_MESSAGE));
    }

    const resolved = resolveMediaType(body.contentType, body.fileName, categoriesFor(body.kind));
    const allowed = allowedCategories(policy);
    if (!resolved || !allowed.includes(resolved.category)) {
      const what = baseMime(body.contentType) || body.fileName;
      return refuse(new AppError('unsupported_media_type', `Files of type ${what} are not accepted here.`));
    }
    const limit = policy.categories[resolved.category].maxBytes;
    if (body.size > limit) {
      return refuse(
        new AppError(
          'payload_too_large',
          `The file is ${formatBytes(body.size)}; ${resolved.category} files may be at most ${formatBytes(limit)}.`,
        ),
      );
    }
    // A file no submission could hold is refused before it is sent.
    const submissionLimit = submissionByteLimit(policy);
    if (body.size > submissionLimit) {
      return refuse(
        new AppError(
          'payload_too_large',
          `The file is ${formatBytes(body.size)}; at most ${formatBytes(submissionLimit)} can be sent together.`,
        ),
      );
    }

    const uploadId = randomId('upl');
    const blobName = uploadBlobName(uploadId, now);
    const staged = this.#staged(body.size);
    const sas = await storage.uploadUrl(blobName, staged, now);
    await uploads.insert({
      _id: uploadId,
      tenantId: link.tenantId,
      linkId: link._id,
      blobName,
      kind: body.kind,
      category: resolved.category,
      fileName: cleanFileName(body.fileName, `${body.kind}.${resolved.type.extensions[0] ?? 'bin'}`),
      contentType: resolved.type.mime,
      size: body.size,
      state: 'issued',
      createdAt: now,
      sasExpiresAt: sas.expiresAt,
      updatedAt: now,
    });
    const contentTypeHeader = { 'x-ms-blob-content-type': resolved.type.mime };
    return {
      uploadId,
      uploadUrl: sas.url,
      method: 'PUT',
      headers: staged ? contentTypeHeader : { 'x-ms-blob-type': 'BlockBlob', ...contentTypeHeader },
      blockBytes: staged ? this.#deps.blockBytes : null,
      expiresAt: sas.expiresAt.toISOString(),
    };
  }

  /**
   * What a reopened page needs to continue an upload of this link: the upload's state and what
   * was declared, the blocks storage holds uncommitted for it (or that the blob is stored whole
   * already: the page was closed before the completion), and a new SAS for the same blob when
   * the intent's runs out within RESUME_SAS_MARGIN_MS (recorded, so the abandoned-uploads sweep
   * waits for it). Blocks, `committed` and SAS only while the link is pending and the upload issued.
   */
  async resumption(token: string, uploadId: string): Promise<UploadResumption> {
    const { uploads, storage, clock } = this.#deps;
    const now = clock.now();
    const link = await this.#pendingLink(token, now);
    const upload = await uploads.get(uploadId);
    if (upload?.linkId !== link._id) throw notFound('This upload does not exist for this link.');
    const answer: UploadResumption = {
      uploadId,
      state: upload.state,
      fileName: upload.fileName,
      contentType: upload.contentType,
      size: upload.size,
      kind: upload.kind,
      blocks: [],
      committed: false,
    };
    if (upload.state !== 'issued') return answer;
    const [blocks, facts] = await Promise.all([
      storage.uncommittedBlocks(upload.blobName),
      storage.facts(upload.blobName),
    ]);
    const committed = facts?.size === upload.size;
    if (upload.sasExpiresAt.getTime() - now.getTime() > RESUME_SAS_MARGIN_MS) {
      return { ...answer, blocks, committed };
    }
    const sas = await storage.uploadUrl(upload.blobName, this.#staged(upload.size), now);
    if (!(await uploads.renewSas(uploadId, sas.expiresAt, now))) {
      // Settled since it was read (completed, refused, swept): nothing to continue.
      const settled = await uploads.get(uploadId);
      return { ...answer, state: settled?.state ?? 'abandoned' };
    }
    return {
      ...answer,
      blocks,
      committed,
      sas: { uploadUrl: sas.url, expiresAt: sas.expiresAt.toISOString() },
    };
  }

  /** Whether a file of `size` bytes is staged in blocks rather than sent in one Put Blob. */
  #staged(size: number): boolean {
    return size > Math.min(this.#deps.singlePutMaxBytes, this.#deps.blockBytes);
  }

  /** The one-click path: a submission of this one file, without a message. */
  async complete(token: string, uploadId: string, customer: CustomerActor): Promise<UploadReceipt> {
    const { status, receivedAt } = await this.submit(token, { uploadIds: [uploadId] }, customer);
    return { status, receivedAt };
  }

  /**
   * Verifies every file of the submission against its intent and the policy, then moves the link
   * pending -> received with all of them and the customer's message, in one conditional update
   * with one `upload.completed`. What is checked and kept of each is a server-side copy of its
   * upload blob (see blob-names.ts), and the upload blobs are deleted. All or nothing: the first
   * file that fails a check is deleted (its upload rejected) and refuses the whole submission,
   * naming the file; the link stays pending and the other files stay issued, to be sent again
   * in a new submission without uploading them again (each is verified again then). Repeating a
   * submission that was received answers the same receipt, so a browser may retry after a
   * network error.
   */
  async submit(token: string, body: SubmissionBody, customer: CustomerActor): Promise<SubmissionReceipt> {
    const { links, uploads, clock } = this.#deps;
    const now = clock.now();
    const tokenHash = hashSecret(token);
    const [link, stored] = await Promise.all([
      links.findByTokenHash(tokenHash),
      Promise.all(body.uploadIds.map((uploadId) => uploads.get(uploadId))),
    ]);
    if (!link) throw notFound('This link does not exist.');
    const several = body.uploadIds.length > 1;
    const submitted: UploadDocument[] = [];
    for (const [index, upload] of stored.entries()) {
      const uploadId = body.uploadIds[index] ?? '';
      if (upload?.linkId !== link._id) {
        throw new AppError('not_found', 'This upload does not exist for this link.', { uploadId });
      }
      submitted.push(upload);
    }
    if (link.receivedAt && receivedAll(link, submitted)) return receiptOf(link, link.receivedAt);
    for (const upload of submitted) {
      if (upload.state === 'rejected') {
        const reason = upload.rejection ?? 'This upload was refused; send the file again.';
        throw fileRefusal(upload, reason, several);
      }
    }
    const status = effectiveStatus(link, now);
    if (status !== 'pending') {
      await this.#discardUnreceived(link, submitted, now);
      throw linkUsedOrGone(status);
    }
    // One reading of the policy for the whole submission: its limits and every file's checks.
    const policy = await this.#policyOf(link);
    checkSubmissionLimits(policy, submitted);

    const files: UploadedFile[] = [];
    for (const upload of submitted) {
      try {
        files.push(await this.#verify(link, upload, policy, now, customer));
      } catch (err) {
        if (err instanceof AppError && err.code === 'upload_rejected') {
          throw fileRefusal(upload, err.message, several, err);
        }
        throw err;
      }
    }
    const customerMessage = body.message?.trim() || undefined;
    const submission = customerMessage !== undefined ? { files, customerMessage } : { files };
    const received = await links.markReceived(link, submission, now);
    if (!received) return this.#lostRace(tokenHash, submitted, now);
    this.#deps.outbox.publishSoon(received._id);
    // The customer waits for what is left: the audit entries (one per file, as a one-file
    // submission has always left, in order), and each upload settled with its blob deleted, all
    // at once.
    const recordAccepted = async () => {
      for (const file of files) {
        await this.#deps.audit.record(link.tenantId, 'upload.accepted', customer, {
          linkId: link._id,
          details: {
            uploadId: file.uploadId,
            fileName: file.fileName,
            contentType: file.contentType,
            size: file.size,
          },
        });
      }
    };
    await Promise.all([
      recordAccepted(),
      ...submitted.map(async (upload) => {
        await uploads.settle(upload._id, 'completed', now);
        await this.#deleteUploadBlob(upload);
      }),
    ]);
    logFor(this.#deps.logger, 'upload').info(
      {
        linkId: link._id,
        uploadIds: files.map((file) => file.uploadId),
        size: files.reduce((sum, file) => sum + file.size, 0),
        withMessage: customerMessage !== undefined,
      },
      'submission received',
    );
    return receiptOf(received, now);
  }

  /**
   * The checks, with storage's refusals as one of them: a request storage refuses for what the
   * blob is (a lease, an archive tier, a type no upload makes) refuses the file, in our words.
   */
  async #verify(
    link: LinkDocument,
    upload: UploadDocument,
    policy: MediaPolicy,
    now: Date,
    customer: CustomerActor,
  ): Promise<UploadedFile> {
    try {
      return await this.#verifyStored(link, upload, policy, now, customer);
    } catch (err) {
      if (!this.#deps.storage.isRefused(err)) throw err;
      logFor(this.#deps.logger, 'upload').warn(
        { err, linkId: link._id, uploadId: upload._id },
        'storage refused an operation on an uploaded file',
      );
      await this.#refuse(link, upload, now, NOT_AN_UPLOAD_MESSAGE, customer);
      throw new AppError('upload_rejected', NOT_AN_UPLOAD_MESSAGE, { cause: err });
    }
  }

  async #verifyStored(
    link: LinkDocument,
    upload: UploadDocument,
    policy: MediaPolicy,
    now: Date,
    customer: CustomerActor,
  ): Promise<UploadedFile> {
    const { storage } = this.#deps;
    const uploaded = await storage.inspect(upload.blobName);
    if (!uploaded) {
      // Nothing stored yet (the browser called too early): nothing to delete, the intent stays open.
      throw new AppError('upload_rejected', 'The file has not arrived in storage yet; send it again.');
    }
    const reject = async (reason: string): Promise<never> => {
      await this.#refuse(link, upload, now, reason, customer);
      throw new AppError('upload_rejected', reason);
    };
    if (!policy.receiveEnabled) {
      await this.#refuse(link, upload, now, policy.disabledMessage ?? DEFAULT_DISABLED_MESSAGE, customer);
      throw new AppError('receiving_disabled', policy.disabledMessage ?? DEFAULT_DISABLED_MESSAGE);
    }
    // The SAS lets more than the page does: copying another blob in (by name, from anywhere storage
    // can read), making an append or page blob, taking snapshots. None of that is an upload.
    if (uploaded.copied || uploaded.blobType !== 'BlockBlob' || uploaded.snapshots > 0) {
      logFor(this.#deps.logger, 'upload').warn(
        {
          linkId: link._id,
          uploadId: upload._id,
          blobType: uploaded.blobType,
          copied: uploaded.copied,
          snapshots: uploaded.snapshots,
        },
        'refused a blob the upload page does not make',
      );
      return reject(NOT_AN_UPLOAD_MESSAGE);
    }
    if (uploaded.size !== upload.size) {
      return reject(
        `The stored file has ${uploaded.size} bytes but ${upload.size} were announced; send it again.`,
      );
    }
    const limit = policy.categories[upload.category].maxBytes;
    if (uploaded.size > limit) {
      return reject(`The file is ${formatBytes(uploaded.size)}; the limit is ${formatBytes(limit)}.`);
    }
    // From here on only the copy is read: the SAS may still write the upload blob, never the copy.
    // Copied only while the upload blob is the version inspected above.
    const verifiedName = verifiedBlobName(upload.blobName);
    const copy = await storage.copyOnce(upload.blobName, uploaded.etag, verifiedName, now);
    if (copy.outcome === 'source_changed') return reject(CHANGED_MESSAGE);
    const facts = copy.facts;
    // A copy an earlier attempt made may be of an earlier version: it is checked all the same.
    if (facts.size !== upload.size) return reject(CHANGED_MESSAGE);
    const head = await storage.head(verifiedName, Math.min(facts.size, SNIFF_BYTES), facts.etag);
    if (!head) return reject(CHANGED_MESSAGE);
    const check = await checkContent(
      head,
      { kind: upload.kind, contentType: upload.contentType, fileName: upload.fileName, size: upload.size },
      allowedCategories(policy),
    );
    if (!check.ok) return reject(check.reason);
    // The content may be another category than declared (a PNG declared as a PDF): its limit counts.
    const verifiedLimit = policy.categories[check.category].maxBytes;
    if (facts.size > verifiedLimit) {
      return reject(`The file is ${formatBytes(facts.size)}; the limit is ${formatBytes(verifiedLimit)}.`);
    }
    // Last, as the costliest check: what the scanner reads is the verified copy at this ETag.
    if (this.#deps.scanner && policy.scanFiles) {
      const verdict = await this.#scan(this.#deps.scanner, verifiedName, facts.etag, link, upload);
      if (verdict === 'changed') return reject(CHANGED_MESSAGE);
      if (verdict.outcome === 'too_large') return reject(TOO_LARGE_TO_SCAN_MESSAGE);
      if (verdict.outcome === 'infected') return this.#block(link, upload, verdict.signature, now, customer);
    }
    return {
      uploadId: upload._id,
      kind: upload.kind,
      category: check.category,
      fileName: withExtensionFor(upload.fileName, check.contentType),
      contentType: check.contentType,
      size: facts.size,
      container: storage.containerName,
      blobName: verifiedName,
      etag: facts.etag,
    };
  }

  /**
   * Streams the verified copy through the scanner. A scanner that cannot answer makes the
   * completion a 503: the upload stays open and the link pending, so the page's retry scans it.
   */
  async #scan(
    scanner: MalwareScanner,
    blobName: string,
    etag: string,
    link: LinkDocument,
    upload: UploadDocument,
  ): Promise<ScanVerdict | 'changed'> {
    const abort = new AbortController();
    try {
      const read = await this.#deps.storage.openRead(blobName, etag, abort.signal);
      if (!read) return 'changed';
      return await scanner.scan(read.stream as AsyncIterable<Uint8Array>);
    } catch (err) {
      if (!(err instanceof ScannerUnavailableError)) throw err;
      logFor(this.#deps.logger, 'upload').warn(
        { err, linkId: link._id, uploadId: upload._id },
        'the malware scanner is unavailable; the upload waits for a retry',
      );
      throw unavailable('The file cannot be checked right now; try again shortly.', err);
    } finally {
      // Stops the blob's download when the scanner gave up early (a size limit, an error).
      abort.abort();
    }
  }

  /**
   * The one place a file the malware scanner blocked is settled: its blobs deleted, the upload
   * rejected, the link (still pending, still usable) records what was found and queues
   * `upload.blocked` for the agent, and the customer gets a 422 that accuses nobody.
   */
  async #block(
    link: LinkDocument,
    upload: UploadDocument,
    signature: string,
    now: Date,
    customer: CustomerActor,
  ): Promise<never> {
    await this.#discard(upload, 'rejected', now, BLOCKED_MESSAGE);
    await this.#deps.audit.record(link.tenantId, 'upload.blocked', customer, {
      linkId: link._id,
      details: { uploadId: upload._id, fileName: upload.fileName, signature },
    });
    const noted = await this.#deps.links.noteBlockedUpload(link, {
      uploadId: upload._id,
      fileName: upload.fileName,
      signature,
      blockedAt: now,
    });
    if (noted) this.#deps.outbox.publishSoon(noted._id);
    logFor(this.#deps.logger, 'upload').warn(
      { linkId: link._id, uploadId: upload._id, signature },
      'the malware scanner blocked an upload',
    );
    throw new AppError('upload_rejected', BLOCKED_MESSAGE);
  }

  /**
   * The conditional update found the link no longer pending: a concurrent submission won. When it
   * held these very files (the browser's retry raced its first try), this one succeeded too.
   */
  async #lostRace(tokenHash: string, submitted: UploadDocument[], now: Date): Promise<SubmissionReceipt> {
    const current = await this.#deps.links.findByTokenHash(tokenHash);
    if (current?.receivedAt && receivedAll(current, submitted)) return receiptOf(current, current.receivedAt);
    if (current) await this.#discardUnreceived(current, submitted, now);
    throw linkUsedOrGone(current ? effectiveStatus(current, now) : 'expired');
  }

  /** The link can take no more files: these uploads are discarded, but never one of the files it received. */
  async #discardUnreceived(link: LinkDocument, submitted: UploadDocument[], now: Date): Promise<void> {
    for (const upload of submitted) {
      if (!receivedWith(link, upload)) await this.#discard(upload, 'abandoned', now);
    }
  }

  /** A failed check: the upload discarded as rejected, and the refusal in the audit log. */
  async #refuse(
    link: LinkDocument,
    upload: UploadDocument,
    now: Date,
    reason: string,
    customer: CustomerActor,
  ): Promise<void> {
    await this.#discard(upload, 'rejected', now, reason);
    await this.#deps.audit.record(link.tenantId, 'upload.refused', customer, {
      linkId: link._id,
      details: { stage: 'completion', uploadId: upload._id, fileName: upload.fileName, reason },
    });
  }

  /** Deletes every blob of the upload, then settles it: a failed delete leaves it for the sweeper. */
  async #discard(
    upload: UploadDocument,
    state: 'rejected' | 'abandoned',
    now: Date,
    reason?: string,
  ): Promise<void> {
    for (const blobName of blobsOfUpload(upload.blobName)) await this.#deps.storage.delete(blobName);
    await this.#deps.uploads.settle(upload._id, state, now, reason);
  }

  /**
   * The file is received (its verified copy is kept): the upload blob is no longer needed. A
   * failure here does not undo the receipt; retention deletes the upload blob with the file.
   */
  async #deleteUploadBlob(upload: UploadDocument): Promise<void> {
    try {
      await this.#deps.storage.delete(upload.blobName);
    } catch (err) {
      logFor(this.#deps.logger, 'upload').warn(
        { err, uploadId: upload._id },
        'could not delete the upload blob of a received file; retention will',
      );
    }
  }

  async #policyOf(link: LinkDocument): Promise<MediaPolicy> {
    const settings = await this.#deps.tenants.getSettings(link.tenantId);
    // A deleted tenant's links are as good as unknown.
    if (!settings) throw notFound('This link does not exist.');
    return settings.mediaPolicy;
  }

  /** The link behind a token if a file may still be sent through it; otherwise a 404 or 410. */
  async #pendingLink(token: string, now: Date): Promise<LinkDocument> {
    const link = await this.#deps.links.findByTokenHash(hashSecret(token));
    if (!link) throw notFound('This link does not exist.');
    const status = effectiveStatus(link, now);
    if (status !== 'pending') throw new AppError('link_gone', GONE_MESSAGES[goneReason(status)]);
    return link;
  }
}

import { type Clock, type Logger, logFor, sweepEach } from '@uplink/kit';
import type { UploadDocument } from '@uplink/links';
import type { BlobStore } from '@uplink/storage';
import type { FileShareStore, LinkStore, UploadStore } from '@uplink/store';
import { blobsOfUpload } from './blob-names.ts';

export type AbandonedUploadSweeperDeps = {
  uploads: UploadStore;
  links: Pick<LinkStore, 'getById'>;
  shares: FileShareStore;
  storage: Pick<BlobStore, 'delete'>;
  clock: Clock;
  logger: Logger;
  graceMs: number;
  /** Settled upload records are kept this long (for support questions), then purged. */
  keepRecordsMs: number;
};

/**
 * A customer may get a SAS and never complete (closed tab, dead battery). Once the SAS has been
 * expired for `graceMs` (a completion may still arrive for an upload that finished just in time),
 * every blob of the intent is deleted (the upload blob, and a verified copy an interrupted
 * completion made), so storage keeps only received files. An intent that fails is logged, counted
 * and tried again next run; the others are not held up. Old settled records and long-expired
 * viewer links go too.
 */
export class AbandonedUploadSweeper {
  readonly #deps: AbandonedUploadSweeperDeps;

  constructor(deps: AbandonedUploadSweeperDeps) {
    this.#deps = deps;
  }

  /** Deletes up to one batch of abandoned uploads' blobs; returns how many intents it settled. */
  async sweep(batch = 100): Promise<number> {
    const { uploads, clock, logger } = this.#deps;
    const now = clock.now();
    const abandoned = await uploads.findAbandoned(new Date(now.getTime() - this.#deps.graceMs), batch);
    const { done } = await sweepEach('abandoned_uploads', abandoned, (upload) => this.#clearUp(upload, now), {
      logger,
      describe: (upload) => ({ uploadId: upload._id, linkId: upload.linkId }),
    });
    const keepSince = new Date(now.getTime() - this.#deps.keepRecordsMs);
    await uploads.purgeSettled(keepSince);
    await this.#deps.shares.purgeExpired(keepSince);
    if (done > 0) logFor(this.#deps.logger, 'sweep').info({ count: done }, 'deleted abandoned uploads');
    return done;
  }

  async #clearUp(upload: UploadDocument, now: Date): Promise<void> {
    const { uploads, links, storage } = this.#deps;
    // A submission that received the link but failed to settle this record keeps the link's file.
    const files = (await links.getById(upload.linkId))?.files ?? [];
    const kept = files.find((file) => file.uploadId === upload._id)?.blobName;
    for (const blobName of blobsOfUpload(upload.blobName)) {
      if (blobName !== kept) await storage.delete(blobName);
    }
    await uploads.settle(upload._id, kept ? 'completed' : 'abandoned', now);
  }
}

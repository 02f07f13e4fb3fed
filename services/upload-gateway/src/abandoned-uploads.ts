import type { Clock, Logger } from '@uplink/kit';
import type { FileShareStore, LinkStore, UploadStore } from '@uplink/links';
import type { BlobStorage } from '@uplink/storage';

/**
 * A customer may get a SAS and never complete (closed tab, dead battery). Once the SAS has been
 * expired for `graceMs` (a completion may still arrive for an upload that finished just in time),
 * the blob is deleted so storage keeps only verified files. Old settled records and long-expired
 * viewer links go too.
 */
export class AbandonedUploadSweeper {
  private readonly deps: {
    uploads: UploadStore;
    links: LinkStore;
    shares: FileShareStore;
    storage: BlobStorage;
    clock: Clock;
    logger: Logger;
    graceMs: number;
    /** Settled upload records are kept this long (for support questions), then purged. */
    keepRecordsMs: number;
  };

  constructor(deps: AbandonedUploadSweeper['deps']) {
    this.deps = deps;
  }

  /** Deletes up to one batch of abandoned blobs; returns how many. */
  async sweep(batch = 100): Promise<number> {
    const { uploads, storage, clock } = this.deps;
    const now = clock.now();
    const abandoned = await uploads.findAbandoned(new Date(now.getTime() - this.deps.graceMs), batch);
    for (const upload of abandoned) {
      // A completion that received the link but failed to settle its record must keep its blob.
      if (await this.deps.links.hasReceived(upload.linkId, upload._id)) {
        await uploads.settle(upload._id, 'completed', now);
        continue;
      }
      await storage.delete(upload.blobName);
      await uploads.settle(upload._id, 'abandoned', now);
    }
    const keepSince = new Date(now.getTime() - this.deps.keepRecordsMs);
    await uploads.purgeSettled(keepSince);
    await this.deps.shares.purgeExpired(keepSince);
    if (abandoned.length > 0) {
      this.deps.logger.info({ type: 'sweep', count: abandoned.length }, 'deleted abandoned uploads');
    }
    return abandoned.length;
  }
}

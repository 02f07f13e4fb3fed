import type { Clock, Logger } from '@uplink/kit';
import type { FileShareStore, LinkDocument, LinkStore } from '@uplink/links';
import type { BlobStorage } from '@uplink/storage';
import type { SettingsSource, TenantStore } from '@uplink/tenants';

const DAY_MS = 24 * 60 * 60 * 1000;
const BATCH = 100;

/**
 * Keeps each tenant's media policy: a received file is deleted from storage `retentionDays` after
 * its delivery ended (posted, or failed for good). The days are read from the tenant's settings
 * at each sweep, so a shorter retention also applies to the files already kept.
 *
 * Per file: its viewer links are revoked (their page then says the link was withdrawn), the blob is
 * deleted, and the link records it. Each step is idempotent, so a crash between them only means
 * the next sweep repeats them. A helpdesk's own copy (a Freshdesk attachment) is the helpdesk's.
 */
export class FileRetention {
  private readonly deps: {
    links: Pick<LinkStore, 'findFilesPastRetention' | 'markFileDeleted'>;
    shares: Pick<FileShareStore, 'revokeForLink'>;
    tenants: Pick<TenantStore, 'listTenantIds'>;
    settings: SettingsSource;
    storage: Pick<BlobStorage, 'delete'>;
    clock: Clock;
    logger: Logger;
  };

  constructor(deps: FileRetention['deps']) {
    this.deps = deps;
  }

  /** Deletes every file whose retention has run out; returns how many. */
  async sweep(): Promise<number> {
    const { links, tenants, settings, clock } = this.deps;
    const now = clock.now();
    let deleted = 0;
    for (const tenantId of await tenants.listTenantIds()) {
      const policy = (await settings.getSettings(tenantId))?.mediaPolicy;
      if (!policy) continue;
      const settledBefore = new Date(now.getTime() - policy.retentionDays * DAY_MS);
      const done = new Set<string>();
      for (;;) {
        // A link whose deletion did not get recorded would come back: never twice in one sweep.
        const due = (await links.findFilesPastRetention(tenantId, settledBefore, BATCH)).filter(
          (link) => !done.has(link._id),
        );
        for (const link of due) {
          await this.deleteFile(link, now);
          done.add(link._id);
          deleted += 1;
        }
        if (due.length < BATCH) break;
      }
    }
    if (deleted > 0) {
      this.deps.logger.info({ type: 'retention', count: deleted }, 'deleted files past their retention');
    }
    return deleted;
  }

  private async deleteFile(link: LinkDocument, now: Date): Promise<void> {
    const { shares, storage, links } = this.deps;
    await shares.revokeForLink(link.tenantId, link._id, now);
    if (link.upload) await storage.delete(link.upload.blobName);
    await links.markFileDeleted(link._id, now);
  }
}

import { type Clock, type Logger, logFor, sweepEach } from '@uplink/kit';
import type { LinkDocument } from '@uplink/links';
import type { BlobStore } from '@uplink/storage';
import type { AuditRecorder, FileShareStore, LinkStore, TenantStore } from '@uplink/store';
import type { SettingsSource } from '@uplink/tenants';
import { blobsOfFile } from './blob-names.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const BATCH = 100;
/** Who the audit log says deleted a file past its retention. */
const RETENTION = { kind: 'system', name: 'retention' } as const;

export type FileRetentionDeps = {
  links: Pick<LinkStore, 'findFilesPastRetention' | 'markFileDeleted'>;
  shares: Pick<FileShareStore, 'revokeForLink'>;
  tenants: Pick<TenantStore, 'listTenantIds'>;
  settings: SettingsSource;
  storage: Pick<BlobStore, 'delete'>;
  audit: AuditRecorder;
  clock: Clock;
  logger: Logger;
};

/**
 * Keeps each tenant's media policy: a received file is deleted from storage `retentionDays` after
 * its delivery ended (posted, or failed for good). The days are read from the tenant's settings
 * at each sweep, so a shorter retention also applies to the files already kept.
 *
 * Per file: its viewer links are revoked (their page then says the link was withdrawn), every blob
 * the upload had is deleted (the verified copy, and the upload blob in case its SAS re-created it),
 * and the link records it. Each step is idempotent, so a crash between them only means the next
 * sweep repeats them. A file (or a tenant) that fails is logged, counted and tried again next run;
 * the others are not held up. A helpdesk's own copy (a Freshdesk attachment) is the helpdesk's.
 */
export class FileRetention {
  readonly #deps: FileRetentionDeps;

  constructor(deps: FileRetentionDeps) {
    this.#deps = deps;
  }

  /** Deletes every file whose retention has run out; returns how many. */
  async sweep(): Promise<number> {
    const { tenants, clock, logger } = this.#deps;
    const now = clock.now();
    let deleted = 0;
    await sweepEach(
      'file_retention',
      await tenants.listTenantIds(),
      async (tenantId) => {
        deleted += await this.#sweepTenant(tenantId, now);
      },
      { logger, describe: (tenantId) => ({ tenantId }) },
    );
    if (deleted > 0) {
      logFor(this.#deps.logger, 'retention').info({ count: deleted }, 'deleted files past their retention');
    }
    return deleted;
  }

  async #sweepTenant(tenantId: string, now: Date): Promise<number> {
    const { links, settings, logger } = this.#deps;
    const policy = (await settings.getSettings(tenantId))?.mediaPolicy;
    if (!policy) return 0;
    const settledBefore = new Date(now.getTime() - policy.retentionDays * DAY_MS);
    // A link whose deletion failed or did not get recorded would come back: never twice in one sweep.
    const seen = new Set<string>();
    let deleted = 0;
    for (;;) {
      const batch = await links.findFilesPastRetention(tenantId, settledBefore, BATCH);
      const due = batch.filter((link) => !seen.has(link._id));
      for (const link of due) seen.add(link._id);
      const { done } = await sweepEach('file_retention', due, (link) => this.#deleteFile(link, now), {
        logger,
        describe: (link) => ({ tenantId, linkId: link._id }),
      });
      deleted += done;
      if (batch.length < BATCH || due.length === 0) break;
    }
    return deleted;
  }

  async #deleteFile(link: LinkDocument, now: Date): Promise<void> {
    const { shares, storage, links } = this.#deps;
    await shares.revokeForLink(link.tenantId, link._id, now);
    const files = link.files ?? [];
    for (const file of files) {
      for (const blobName of blobsOfFile(file.blobName)) await storage.delete(blobName);
    }
    await links.markFileDeleted(link._id, now);
    const [first] = files;
    await this.#deps.audit.record(link.tenantId, 'file.deleted_by_retention', RETENTION, {
      linkId: link._id,
      // fileName, the first file, as entries before several files said; fileNames, all of them.
      ...(first
        ? { details: { fileName: first.fileName, fileNames: files.map((file) => file.fileName) } }
        : {}),
    });
  }
}

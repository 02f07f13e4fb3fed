import { type EventBus, OutboxPublisher, outboxWorker } from '@uplink/event-bus';
import {
  type AppDeps,
  type CommonConfig,
  originList,
  periodicWorker,
  registerOpenApi,
  type Service,
  serviceHttpApp,
  trustedProxies,
} from '@uplink/kit';
import { scannerFromConfig } from '@uplink/scanning';
import type { BlobStore } from '@uplink/storage';
import { AuditRecorder, type Store } from '@uplink/store';
import { CachedSettings } from '@uplink/tenants';
import { AbandonedUploadSweeper } from './abandoned-uploads.ts';
import { CustomerActors } from './customer-actor.ts';
import type { UploadGatewayConfig } from './env.ts';
import { FileRetention } from './file-retention.ts';
import { registerPageAssets } from './page/index.ts';
import { registerRateLimits } from './rate-limits.ts';
import { fileViewerRoutes } from './routes/file-viewer.ts';
import { uploadApiRoutes } from './routes/upload-api.ts';
import { uploadPageRoutes } from './routes/upload-page.ts';
import { UploadFlow } from './upload-flow.ts';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export type UploadGatewayDeps = AppDeps<Omit<UploadGatewayConfig, keyof CommonConfig>, Store, EventBus> & {
  /** The uploads container: SAS for the browser, verification, copies, reads and deletes. */
  storage: BlobStore;
};

/** The customer-facing service: the upload page, its assets, and the upload API. Never listens. */
export async function buildUploadGateway(deps: UploadGatewayDeps): Promise<Service> {
  const { config, logger, store, bus, clock } = deps;
  const { links, tenants, uploads, shares } = store;

  const { storage } = deps;
  const outbox = new OutboxPublisher({ store: links.outbox, bus, logger, clock, ...deps.outbox });
  const settings = new CachedSettings(tenants, config.SETTINGS_CACHE_MS);
  const scanner = scannerFromConfig(config);
  const audit = new AuditRecorder(store.audit, clock);
  const flow = new UploadFlow({
    scanner,
    links,
    tenants: settings,
    uploads,
    storage,
    outbox,
    audit,
    clock,
    logger,
    blockBytes: config.UPLOAD_BLOCK_BYTES,
    singlePutMaxBytes: config.UPLOAD_SINGLE_PUT_MAX_BYTES,
  });
  const abandoned = new AbandonedUploadSweeper({
    uploads,
    links,
    shares,
    storage,
    clock,
    logger,
    graceMs: HOUR_MS,
    keepRecordsMs: 7 * 24 * HOUR_MS,
  });
  const retention = new FileRetention({ links, shares, tenants, settings, storage, audit, clock, logger });

  const app = serviceHttpApp(deps, {
    trustProxy: trustedProxies(config.TRUST_PROXY),
    // Without its scanner the gateway cannot accept files (completions answer 503): not ready.
    readiness: scanner ? { [scanner.kind]: () => scanner.ping() } : {},
  });
  // The document only (the API fuzz tests read it): no Swagger UI on the customers' host.
  await registerOpenApi(
    app,
    {
      title: 'Uplink upload-gateway',
      version: '1',
      description:
        "The customer's side of a link: the upload page and the API it calls (the link token is the credential), and the viewer pages of delivered files.",
    },
    undefined,
    { ui: false },
  );
  const rateLimits = await registerRateLimits(
    app,
    { perIpPerMinute: config.RATE_LIMIT_PER_IP, perLinkPerMinute: config.RATE_LIMIT_PER_TOKEN },
    links,
  );
  await registerPageAssets(app);
  uploadPageRoutes(app, { links, tenants: settings, clock, storageOrigin: storage.origin, rateLimits });
  uploadApiRoutes(app, { flow, rateLimits, customers: new CustomerActors(config.UPLINK_SECRET_KEYS) });
  fileViewerRoutes(app, {
    shares,
    tenants: settings,
    storage,
    audit,
    clock,
    rateLimits,
    frameAncestors: originList(config.FILE_VIEWER_FRAME_ANCESTORS),
    consoleOrigin: config.PUBLIC_CONSOLE_ORIGIN,
  });

  return {
    app,
    // The container and its CORS rule for the page's origin, when this deployment owns them.
    startup: config.AZURE_STORAGE_CONFIGURE
      ? [
          {
            name: 'configure the uploads container',
            run: () => storage.configure(new URL(config.PUBLIC_UPLOAD_BASE_URL).origin),
          },
        ]
      : [],
    workers: [
      outboxWorker(outbox),
      periodicWorker('abandoned upload sweeper', 10 * 60 * 1000, () => abandoned.sweep(), logger),
      periodicWorker('file retention', config.RETENTION_SWEEP_INTERVAL_MS, () => retention.sweep(), logger),
      ...(config.AUDIT_RETENTION_DAYS > 0
        ? [
            periodicWorker(
              'audit retention',
              config.RETENTION_SWEEP_INTERVAL_MS,
              () => store.audit.prune(new Date(clock.now().getTime() - config.AUDIT_RETENTION_DAYS * DAY_MS)),
              logger,
            ),
          ]
        : []),
    ],
  };
}

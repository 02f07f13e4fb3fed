import type { ContainerClient } from '@azure/storage-blob';
import type { MediaPolicyUpdate, TicketRef, UploadCompletedEvent } from '@uplink/contracts';
import { freePort } from '@uplink/dev-servers';
import type { EventBus } from '@uplink/event-bus';
import { type Clock, SecretBox, type Service, systemClock } from '@uplink/kit';
import { AzureBlobStore } from '@uplink/storage';
import type { LinkStore, Store } from '@uplink/store';
import { buildUploadGateway } from '@uplink/upload-gateway';
import { inject } from 'vitest';
import { closeWhenDone } from './auto-close.ts';
import { startTestInfra, streamEvents, type TestInfra } from './infra.ts';
import { startService } from './service-under-test.ts';

export { type Shared, shareFile } from './file-shares.ts';

export const API_KEY = 'upk_gateway_test_tenant_key_00000000';
/** The deployment key the gateway derives its audit log's customer address key from. */
export const GATEWAY_SECRET_KEYS = SecretBox.generateSpec('test');
let containers = 0;

export type UploadGatewayHarness = {
  /** http://127.0.0.1:<port>: the gateway, listening, on the test adapters and Azurite. */
  baseUrl: string;
  storageOrigin: string;
  /** This harness's own container on the shared Azurite. */
  container: ContainerClient;
  /** The same storage wrapper the gateway uses, on the same container. */
  storage: AzureBlobStore;
  infra: TestInfra;
  store: Store;
  bus: EventBus;
  service: Service;
  tenantId: string;
  links: LinkStore;
  createLink(options?: { contextMessage?: string; expiresAt?: Date; ticket?: TicketRef }): Promise<{
    linkId: string;
    token: string;
    url: string;
  }>;
  updateMediaPolicy(update: MediaPolicyUpdate): Promise<void>;
  linkStatus(linkId: string): Promise<string>;
  /** upload.completed events in the stream so far. */
  completedEvents(): Promise<UploadCompletedEvent[]>;
  /** A POST to the gateway at `path`: `body` as JSON when given, no body otherwise. */
  post(path: string, body?: unknown): Promise<Response>;
};

/**
 * upload-gateway, listening, on the test adapters (UPLINK_TEST_ADAPTERS) and the run's Azurite,
 * in a container of its own, with a bootstrap tenant; it, its container and (unless given) its
 * adapters go when the test or file that started it is done.
 */
export async function uploadGatewayHarness(
  options: {
    /** UPLOAD_BLOCK_BYTES, the largest block (default 4 MiB). */
    blockBytes?: number;
    /** UPLOAD_SINGLE_PUT_MAX_BYTES (default 256 KiB). */
    singlePutMaxBytes?: number;
    clock?: Clock;
    ratePerMinute?: number;
    /** RATE_LIMIT_PER_TOKEN, when it should differ from ratePerMinute. */
    perLinkPerMinute?: number;
    trustProxy?: string;
    /** FILE_VIEWER_FRAME_ANCESTORS (default: framed by none). */
    viewerFrameAncestors?: string;
    /** PUBLIC_CONSOLE_ORIGIN: where agents sign in for files that need it (default: unset). */
    consoleOrigin?: string;
    /** Adapters shared with other services under test. */
    infra?: TestInfra;
    /**
     * The gateway's own storage connection string instead of the shared Azurite's (a wrong key, to
     * see storage refuse it); the container is then not configured at start.
     */
    gatewayStorageConnectionString?: string;
    /** CLAMAV_URL: a clamd (startClamd) to scan every received file with. */
    clamavUrl?: string;
  } = {},
): Promise<UploadGatewayHarness> {
  const infra = options.infra ?? (await startTestInfra());
  const store = await infra.store();
  const bus = await infra.connectBus('upload-gateway');
  const azurite = inject('azurite');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const containerName = `test-${process.pid}-${++containers}-${Date.now().toString(36)}`;
  const clock = options.clock ?? systemClock;

  const { tenants, links } = store;
  const tenantId = await tenants.ensureBootstrapTenant(API_KEY, clock.now());
  await tenants.updateSettings(
    tenantId,
    { companyName: 'Acme Support', supportDomain: 'support.acme.test' },
    clock.now(),
  );

  const storage = await AzureBlobStore.fromConfig({
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    AZURE_STORAGE_USE_IDENTITY: false,
    AZURE_STORAGE_CONTAINER: containerName,
  });
  closeWhenDone(async () => {
    await storage.container.deleteIfExists();
  });
  const built = await buildUploadGateway({
    config: {
      PUBLIC_UPLOAD_BASE_URL: `${baseUrl}/u/`,
      AZURE_STORAGE_CONNECTION_STRING: options.gatewayStorageConnectionString ?? azurite.connectionString,
      AZURE_STORAGE_USE_IDENTITY: false,
      AZURE_STORAGE_CONTAINER: containerName,
      AZURE_STORAGE_CONFIGURE: options.gatewayStorageConnectionString === undefined,
      UPLOAD_BLOCK_BYTES: options.blockBytes ?? 4 * 1024 * 1024,
      UPLOAD_SINGLE_PUT_MAX_BYTES: options.singlePutMaxBytes ?? 256 * 1024,
      // Tests change the policy and expect the next request to see it.
      SETTINGS_CACHE_MS: 0,
      RATE_LIMIT_PER_IP: options.ratePerMinute ?? 10_000,
      RATE_LIMIT_PER_TOKEN: options.perLinkPerMinute ?? options.ratePerMinute ?? 10_000,
      FILE_VIEWER_FRAME_ANCESTORS: options.viewerFrameAncestors ?? 'none',
      RETENTION_SWEEP_INTERVAL_MS: 60 * 60 * 1000,
      AUDIT_RETENTION_DAYS: 0,
      UPLINK_SECRET_KEYS: GATEWAY_SECRET_KEYS,
      ...(options.trustProxy ? { TRUST_PROXY: options.trustProxy } : {}),
      ...(options.clamavUrl ? { CLAMAV_URL: options.clamavUrl } : {}),
      ...(options.consoleOrigin ? { PUBLIC_CONSOLE_ORIGIN: options.consoleOrigin } : {}),
    },
    logger: infra.logger,
    store,
    bus,
    clock,
    storage:
      options.gatewayStorageConnectionString === undefined
        ? storage
        : await AzureBlobStore.fromConfig({
            AZURE_STORAGE_CONNECTION_STRING: options.gatewayStorageConnectionString,
            AZURE_STORAGE_USE_IDENTITY: false,
            AZURE_STORAGE_CONTAINER: containerName,
          }),
    outbox: { sweepIntervalMs: 200, staleAfterMs: 300 },
  });
  const service = await startService(built, port);

  return {
    baseUrl,
    storageOrigin: storage.origin,
    container: storage.container,
    storage,
    infra,
    store,
    bus,
    service,
    tenantId,
    links,
    async createLink(linkOptions = {}) {
      const { link, token } = await links.create({
        tenantId,
        ticket: linkOptions.ticket ?? {
          provider: 'freshdesk',
          id: String(1000 + Math.floor(Math.random() * 9000)),
        },
        contextMessage: linkOptions.contextMessage,
        validityHours: 2,
        now: clock.now(),
        ...(linkOptions.expiresAt ? { expiresAt: linkOptions.expiresAt } : {}),
      });
      return { linkId: link._id, token, url: `${baseUrl}/u/${token}` };
    },
    async updateMediaPolicy(update) {
      await tenants.updateSettings(tenantId, { mediaPolicy: update }, clock.now());
    },
    async linkStatus(linkId) {
      const link = await links.get(tenantId, linkId);
      if (!link) throw new Error(`no link ${linkId}`);
      return link.status;
    },
    completedEvents: () => streamEvents<UploadCompletedEvent>(bus, 'upload.completed'),
    post: (path, body) =>
      fetch(`${baseUrl}${path}`, {
        method: 'POST',
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      }),
  };
}

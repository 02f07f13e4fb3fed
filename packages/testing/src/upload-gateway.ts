import type { ContainerClient } from '@azure/storage-blob';
import type { MediaPolicyUpdate, TicketRef, UploadCompletedEvent } from '@uplink/contracts';
import { freePort } from '@uplink/dev-servers';
import type { NatsEventBus } from '@uplink/event-bus/nats';
import {
  type Clock,
  prepareService,
  type Service,
  startWorkers,
  stopWorkers,
  systemClock,
} from '@uplink/kit';
import { MongoLinkStore } from '@uplink/links';
import { MongoSessionStore } from '@uplink/session-store';
import { BlobStorage } from '@uplink/storage';
import { MongoTenantStore } from '@uplink/tenants';
import { buildUploadGateway } from '@uplink/upload-gateway';
import { inject } from 'vitest';
import { startTestInfra, streamMessages, type TestInfra } from './infra.ts';

export const API_KEY = 'upk_gateway_test_tenant_key_00000000';
let containers = 0;

export type GatewayHarness = {
  /** http://127.0.0.1:<port>: the gateway, listening, on real NATS, MongoDB-wire and Azurite. */
  baseUrl: string;
  storageOrigin: string;
  /** This harness's own container on the shared Azurite. */
  container: ContainerClient;
  /** The same storage wrapper the gateway uses, on the same container. */
  storage: BlobStorage;
  infra: TestInfra;
  bus: NatsEventBus;
  service: Service;
  tenantId: string;
  links: MongoLinkStore;
  createLink(options?: { contextMessage?: string; expiresAt?: Date; ticket?: TicketRef }): Promise<{
    linkId: string;
    token: string;
    url: string;
  }>;
  updateMediaPolicy(update: MediaPolicyUpdate): Promise<void>;
  linkStatus(linkId: string): Promise<string>;
  /** upload.completed messages published to JetStream so far. */
  completedEvents(): Promise<UploadCompletedEvent[]>;
  close(): Promise<void>;
};

export async function startGateway(
  options: {
    blockBytes?: number;
    clock?: Clock;
    ratePerMinute?: number;
    /** RATE_LIMIT_PER_TOKEN, when it should differ from ratePerMinute. */
    perLinkPerMinute?: number;
    trustProxy?: string;
    /** FILE_VIEWER_FRAME_ANCESTORS (default: framed by none). */
    viewerFrameAncestors?: string;
    /** Servers shared with other services under test; the harness then leaves them running. */
    infra?: TestInfra;
    /**
     * The gateway's own storage connection string instead of the shared Azurite's (a wrong key, to
     * see storage refuse it); the container is then not configured at start.
     */
    gatewayStorageConnectionString?: string;
  } = {},
): Promise<GatewayHarness> {
  const infra = options.infra ?? (await startTestInfra());
  const bus = await infra.connectBus('upload-gateway');
  const azurite = inject('azurite');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const containerName = `test-${process.pid}-${++containers}-${Date.now().toString(36)}`;
  const clock = options.clock ?? systemClock;

  const tenants = new MongoTenantStore(infra.mongo.db);
  await tenants.ensureIndexes();
  const tenantId = await tenants.ensureBootstrapTenant(API_KEY, clock.now());
  await tenants.updateSettings(
    tenantId,
    { companyName: 'Acme Support', supportDomain: 'support.acme.test' },
    clock.now(),
  );

  const service = await buildUploadGateway({
    config: {
      PUBLIC_UPLOAD_BASE_URL: `${baseUrl}/u/`,
      AZURE_STORAGE_CONNECTION_STRING: options.gatewayStorageConnectionString ?? azurite.connectionString,
      AZURE_STORAGE_USE_IDENTITY: false,
      AZURE_STORAGE_CONTAINER: containerName,
      AZURE_STORAGE_CONFIGURE: options.gatewayStorageConnectionString === undefined,
      UPLOAD_BLOCK_BYTES: options.blockBytes ?? 4 * 1024 * 1024,
      // Tests change the policy and expect the next request to see it.
      SETTINGS_CACHE_MS: 0,
      RATE_LIMIT_PER_IP: options.ratePerMinute ?? 10_000,
      RATE_LIMIT_PER_TOKEN: options.perLinkPerMinute ?? options.ratePerMinute ?? 10_000,
      FILE_VIEWER_FRAME_ANCESTORS: options.viewerFrameAncestors ?? 'none',
      RETENTION_SWEEP_INTERVAL_MS: 60 * 60 * 1000,
      ...(options.trustProxy ? { TRUST_PROXY: options.trustProxy } : {}),
    },
    logger: infra.logger,
    store: await MongoSessionStore.prepared(infra.mongo),
    bus,
    clock,
    outbox: { sweepIntervalMs: 200, staleAfterMs: 300 },
  });
  await prepareService(service);
  await service.app.listen({ host: '127.0.0.1', port });
  await startWorkers(service);

  const storage = await BlobStorage.fromConfig({
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    AZURE_STORAGE_USE_IDENTITY: false,
    AZURE_STORAGE_CONTAINER: containerName,
  });
  const links = new MongoLinkStore(infra.mongo.db);

  return {
    baseUrl,
    storageOrigin: storage.origin,
    container: storage.container,
    storage,
    infra,
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
    async completedEvents() {
      const messages = await streamMessages(bus, 'upload.completed');
      return messages.map((msg) => msg.json<UploadCompletedEvent>());
    },
    async close() {
      await stopWorkers(service);
      await service.app.close();
      await storage.container.deleteIfExists();
      if (!options.infra) await infra.close();
    },
  };
}

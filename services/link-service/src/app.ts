import { type EventBus, OutboxPublisher, outboxWorker } from '@uplink/event-bus';
import {
  type AppDeps,
  logFor,
  originList,
  registerOpenApi,
  SecretBox,
  type Service,
  serviceHttpApp,
  trustedProxies,
} from '@uplink/kit';
import { BlobStorage } from '@uplink/storage';
import type { Store } from '@uplink/store';
import { DestinationStore, extraHostList } from '@uplink/tenants';
import { AuthFailureThrottle, BEARER_SCHEME, requireOperator, requireTenant } from './auth.ts';
import { consoleRoutes } from './console/index.ts';
import type { LinkServiceConfig } from './env.ts';
import { LinkEventsFeed, linkEventsFeedWorker } from './link-events-feed.ts';
import { linkStatusGauge } from './link-metrics.ts';
import { adminRoutes } from './routes/admin.ts';
import { fileUrlRoutes } from './routes/file-url.ts';
import { linkStreamRoutes } from './routes/link-stream.ts';
import { linkRoutes } from './routes/links.ts';
import { settingsRoutes } from './routes/settings.ts';

export type LinkServiceDeps = AppDeps<
  Pick<
    LinkServiceConfig,
    | 'PUBLIC_UPLOAD_BASE_URL'
    | 'UPLINK_BOOTSTRAP_API_KEY'
    | 'UPLINK_OPERATOR_TOKEN'
    | 'TRUST_PROXY'
    | 'UPLINK_SECRET_KEYS'
    | 'AZURE_STORAGE_CONNECTION_STRING'
    | 'AZURE_STORAGE_ACCOUNT_NAME'
    | 'AZURE_STORAGE_ACCOUNT_KEY'
    | 'AZURE_STORAGE_BLOB_ENDPOINT'
  > &
    Partial<
      Pick<
        LinkServiceConfig,
        | 'AZURE_STORAGE_USE_IDENTITY'
        | 'AZURE_STORAGE_CONTAINER'
        | 'CONSOLE_FRAME_ANCESTORS'
        | 'EGRESS_ALLOW_LOOPBACK'
        | 'DESTINATION_EXTRA_HOSTS'
        | 'AUTH_FAILURES_PER_MINUTE'
        | 'LINK_STREAMS_PER_TENANT'
        | 'LINK_STREAM_MAX_LIFETIME_MS'
      >
    >,
  Store,
  EventBus
>;

/** The uploads container, read-only, when configured: it serves the console's previews. */
async function previewStorage(config: LinkServiceDeps['config']): Promise<BlobStorage | undefined> {
  if (!config.AZURE_STORAGE_CONNECTION_STRING && !config.AZURE_STORAGE_ACCOUNT_NAME) return undefined;
  return BlobStorage.fromConfig({
    ...config,
    AZURE_STORAGE_USE_IDENTITY: config.AZURE_STORAGE_USE_IDENTITY ?? false,
    AZURE_STORAGE_CONTAINER: config.AZURE_STORAGE_CONTAINER ?? 'uplink-uploads',
  });
}

/** The tenant API: links, settings, operator routes and the OpenAPI document. Never listens. */
export async function buildLinkService(deps: LinkServiceDeps): Promise<Service> {
  const { config, logger, store, bus, clock } = deps;
  const { links, shares, tenants } = store;
  const destinations = new DestinationStore(
    tenants,
    config.UPLINK_SECRET_KEYS ? SecretBox.parse(config.UPLINK_SECRET_KEYS) : undefined,
    {
      allowLoopback: config.EGRESS_ALLOW_LOOPBACK ?? false,
      extraHosts: extraHostList(config.DESTINATION_EXTRA_HOSTS ?? ''),
    },
  );
  const storage = await previewStorage(config);
  if (!storage) logFor(logger, 'lifecycle').info('no blob storage configured: file previews are off');
  const outbox = new OutboxPublisher({ store: links.outbox, bus, logger, clock, ...deps.outbox });

  const app = serviceHttpApp(deps, { trustProxy: trustedProxies(config.TRUST_PROXY) });
  await registerOpenApi(
    app,
    {
      title: 'Uplink link-service',
      version: '1',
      description: 'Create, list and revoke secure single-use upload links for support tickets.',
    },
    BEARER_SCHEME,
  );
  consoleRoutes(app, {
    ...(config.CONSOLE_FRAME_ANCESTORS !== undefined
      ? { frameAncestors: originList(config.CONSOLE_FRAME_ANCESTORS) }
      : {}),
    ...(storage ? { mediaOrigin: storage.origin } : {}),
  });
  // One count for every credential this service checks: a client guessing API keys and
  // operator tokens in turn spends one budget.
  const authFailures = new AuthFailureThrottle({
    maxFailures: config.AUTH_FAILURES_PER_MINUTE ?? 20,
    windowMs: 60_000,
    clock,
  });
  await app.register(async (tenantScope) => {
    requireTenant(tenantScope, tenants, authFailures);
    linkRoutes(tenantScope, {
      links,
      shares,
      tenants,
      outbox,
      clock,
      publicUploadBaseUrl: config.PUBLIC_UPLOAD_BASE_URL,
    });
    settingsRoutes(tenantScope, { tenants, destinations, clock });
    fileUrlRoutes(tenantScope, { links, storage, clock });
  });
  // Its own scope: the only route that also takes the API key as ?access_token= (EventSource).
  const feed = new LinkEventsFeed({ bus, links, clock, logger });
  await app.register(async (streamScope) => {
    linkStreamRoutes(streamScope, {
      tenants,
      links,
      feed,
      clock,
      authFailures,
      streamsPerTenant: config.LINK_STREAMS_PER_TENANT,
      maxLifetimeMs: config.LINK_STREAM_MAX_LIFETIME_MS,
    });
  });
  if (config.UPLINK_OPERATOR_TOKEN) {
    const operatorToken = config.UPLINK_OPERATOR_TOKEN;
    await app.register(async (operatorScope) => {
      requireOperator(operatorScope, operatorToken, authFailures);
      adminRoutes(operatorScope, { tenants, clock });
    });
  }

  const bootstrapApiKey = config.UPLINK_BOOTSTRAP_API_KEY;
  return {
    app,
    startup: bootstrapApiKey
      ? [
          {
            name: 'bootstrap tenant',
            run: async () => {
              const tenantId = await tenants.ensureBootstrapTenant(bootstrapApiKey, clock.now());
              logFor(logger, 'lifecycle').info({ tenantId }, 'bootstrap tenant ready');
            },
          },
        ]
      : [],
    // The links gauge comes from link-service alone: one aggregate query a minute per replica.
    workers: [outboxWorker(outbox), linkEventsFeedWorker(feed), linkStatusGauge(() => links.countByStatus())],
  };
}

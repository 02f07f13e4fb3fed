import { type EventBus, OutboxPublisher, outboxWorker } from '@uplink/event-bus';
import {
  type AppDeps,
  type CommonConfig,
  DEFAULT_PUBLIC_FILE_BASE_URL,
  logFor,
  originList,
  periodicWorker,
  registerOpenApi,
  SecretBox,
  type Service,
  serviceHttpApp,
  trustedProxies,
} from '@uplink/kit';
import type { BlobStore } from '@uplink/storage';
import { AuditRecorder, type Store } from '@uplink/store';
import { DestinationStore, extraHostList } from '@uplink/tenants';
import {
  AuthFailureThrottle,
  type PrincipalSources,
  requireOperator,
  requirePrincipal,
  SECURITY_SCHEMES,
} from './auth.ts';
import { type ConsoleOptions, consolePageHeaders, consoleRoutes } from './console/index.ts';
import { corsOriginList, registerApiCors } from './cors.ts';
import type { LinkServiceConfig } from './env.ts';
import { LinkEventsFeed, linkEventsFeedWorker } from './link-events-feed.ts';
import { linkStatusGauge } from './link-metrics.ts';
import { adminRoutes } from './routes/admin.ts';
import { agentSessionRoutes } from './routes/agent-sessions.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { auditRoutes } from './routes/audit.ts';
import { fileUrlRoutes } from './routes/file-url.ts';
import { linkStreamRoutes } from './routes/link-stream.ts';
import { linkRoutes } from './routes/links.ts';
import { settingsRoutes } from './routes/settings.ts';
import { streamTicketRoutes } from './routes/stream-tickets.ts';
import { whoamiRoutes } from './routes/whoami.ts';
import { fileSignInRoutes, registerCookies, signInRoutes, signInSettings } from './sign-in/index.ts';

/**
 * What link-service is built from. A setting with a default may be left out (tests and npm start
 * give what they change). `storage`, the uploads container read-only, serves the console's
 * previews; without it previews are off.
 */
export type LinkServiceDeps = AppDeps<
  Pick<LinkServiceConfig, 'PUBLIC_UPLOAD_BASE_URL'> & Partial<Omit<LinkServiceConfig, keyof CommonConfig>>,
  Store,
  EventBus
> & { storage?: BlobStore };

const STREAM_TICKET_PURGE_INTERVAL_MS = 10 * 60 * 1000;
/** Agent sessions last 12 hours at most; an expired one opens nothing, so an hourly purge is plenty. */
const AGENT_SESSION_PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** The tenant API: links, settings, operator routes and the OpenAPI document. Never listens. */
export async function buildLinkService(deps: LinkServiceDeps): Promise<Service> {
  const { config, logger, store, bus, clock } = deps;
  const { links, shares, tenants, streamTickets } = store;
  const destinations = new DestinationStore(
    tenants,
    config.UPLINK_SECRET_KEYS ? SecretBox.parse(config.UPLINK_SECRET_KEYS) : undefined,
    {
      allowLoopback: config.EGRESS_ALLOW_LOOPBACK ?? false,
      extraHosts: extraHostList(config.DESTINATION_EXTRA_HOSTS ?? ''),
    },
  );
  const { storage } = deps;
  if (!storage) logFor(logger, 'lifecycle').info('no blob storage configured: file previews are off');
  const audit = new AuditRecorder(store.audit, clock);
  const outbox = new OutboxPublisher({ store: links.outbox, bus, logger, clock, ...deps.outbox });

  const app = serviceHttpApp(deps, { trustProxy: trustedProxies(config.TRUST_PROXY) });
  await registerApiCors(app, corsOriginList(config.CORS_ALLOWED_ORIGINS ?? ''));
  await registerOpenApi(
    app,
    {
      title: 'Uplink link-service',
      version: '1',
      description: 'Create, list and revoke secure single-use upload links for support tickets.',
    },
    SECURITY_SCHEMES,
  );
  await registerCookies(app);
  // Off (undefined) unless the deployment configured an identity provider.
  const signIn = signInSettings(config);
  const consoleOptions: ConsoleOptions = {
    ...(config.CONSOLE_FRAME_ANCESTORS !== undefined
      ? { frameAncestors: originList(config.CONSOLE_FRAME_ANCESTORS) }
      : {}),
    ...(storage ? { mediaOrigin: storage.origin } : {}),
    ...(signIn ? { providerName: signIn.providerName } : {}),
  };
  consoleRoutes(app, consoleOptions);
  if (signIn) {
    const pageHeaders = consolePageHeaders(consoleOptions);
    signInRoutes(app, { ...signIn, tenants, agentSessions: store.agentSessions, audit, clock, pageHeaders });
    fileSignInRoutes(app, {
      agentSessions: store.agentSessions,
      shares,
      clock,
      fileBaseUrl: config.PUBLIC_FILE_BASE_URL ?? DEFAULT_PUBLIC_FILE_BASE_URL,
      providerName: signIn.providerName,
      pageHeaders,
    });
  }
  // One count for every credential this service checks: a client guessing API keys and
  // operator tokens in turn spends one budget.
  const authFailures = new AuthFailureThrottle({
    maxFailures: config.AUTH_FAILURES_PER_MINUTE ?? 20,
    windowMs: 60_000,
    clock,
  });
  const principals: PrincipalSources = {
    tenants,
    agentSessions: store.agentSessions,
    clock,
    ...(signIn ? { consoleOrigin: signIn.consoleOrigin } : {}),
  };
  await app.register(async (tenantScope) => {
    requirePrincipal(tenantScope, principals, authFailures);
    linkRoutes(tenantScope, {
      links,
      shares,
      tenants,
      outbox,
      audit,
      clock,
      publicUploadBaseUrl: config.PUBLIC_UPLOAD_BASE_URL,
    });
    settingsRoutes(tenantScope, { tenants, destinations, audit, clock });
    fileUrlRoutes(tenantScope, { links, tenants, storage, audit, clock });
    streamTicketRoutes(tenantScope, { streamTickets, clock });
    agentSessionRoutes(tenantScope, { agentSessions: store.agentSessions, audit, clock });
    apiKeyRoutes(tenantScope, { tenants, audit, clock });
    auditRoutes(tenantScope, { log: store.audit, links });
    whoamiRoutes(tenantScope);
  });
  // Its own scope: the only route that also takes a stream ticket as ?stream_ticket= (EventSource).
  const feed = new LinkEventsFeed({ bus, links, clock, logger });
  await app.register(async (streamScope) => {
    linkStreamRoutes(streamScope, {
      principals,
      streamTickets,
      links,
      feed,
      clock,
      authFailures,
      streamsPerTenant: config.LINK_STREAMS_PER_TENANT,
      maxLifetimeMs: config.LINK_STREAM_MAX_LIFETIME_MS,
      credentialCheckMs: config.LINK_STREAM_CREDENTIAL_CHECK_MS,
    });
  });
  if (config.UPLINK_OPERATOR_TOKEN) {
    const operatorToken = config.UPLINK_OPERATOR_TOKEN;
    await app.register(async (operatorScope) => {
      requireOperator(operatorScope, operatorToken, authFailures);
      adminRoutes(operatorScope, { tenants, audit, clock });
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
    workers: [
      outboxWorker(outbox),
      linkEventsFeedWorker(feed),
      linkStatusGauge(() => links.countByStatus()),
      // Tickets used are gone already; those never used go once expired.
      periodicWorker(
        'stream ticket purge',
        STREAM_TICKET_PURGE_INTERVAL_MS,
        () => streamTickets.purgeExpired(clock.now()),
        logger,
      ),
      periodicWorker(
        'agent session purge',
        AGENT_SESSION_PURGE_INTERVAL_MS,
        () => store.agentSessions.purgeExpired(clock.now()),
        logger,
      ),
    ],
  };
}

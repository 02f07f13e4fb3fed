import type { EventBus } from '@uplink/event-bus';
import { type Clock, type Logger, prepareService, SecretBox, type Service, systemClock } from '@uplink/kit';
import { buildLinkService, type LinkServiceDeps } from '@uplink/link-service';
import type { BlobStore } from '@uplink/storage';
import type { Store } from '@uplink/store';
import { startTestInfra, type TestInfra } from './infra.ts';
import { startService } from './service-under-test.ts';

export const API_KEY = 'upk_test_key_for_tenant_a_000000000000';
export const OTHER_API_KEY = 'upk_test_key_for_tenant_b_000000000000';
export const OPERATOR_TOKEN = 'operator-token-for-tests-0000000000';
export const SECRET_KEYS = SecretBox.generateSpec('test');

/** A test's own clock, settings, logger (to assert on what the service logged), or blob storage (previews). */
type BuildOptions = {
  clock?: Clock;
  config?: Partial<LinkServiceDeps['config']>;
  logger?: Logger;
  storage?: BlobStore;
};

export type LinkServiceHarness = {
  infra: TestInfra;
  store: Store;
  bus: EventBus;
  service: Service;
  /** Builds and starts another instance of the service on the same adapters. */
  build(opts?: BuildOptions): Promise<Service>;
};

/**
 * link-service on the test adapters (UPLINK_TEST_ADAPTERS), with two bootstrap tenants; it and
 * its adapters close when the test or file that started it is done.
 */
export async function linkServiceHarness(): Promise<LinkServiceHarness> {
  const infra = await startTestInfra();
  const store = await infra.store();
  const bus = await infra.connectBus('link-service');
  const build = async (opts: BuildOptions = {}) =>
    startService(
      await buildLinkService({
        config: {
          PUBLIC_UPLOAD_BASE_URL: 'https://uploads.example.com/u/',
          UPLINK_BOOTSTRAP_API_KEY: API_KEY,
          UPLINK_OPERATOR_TOKEN: OPERATOR_TOKEN,
          UPLINK_SECRET_KEYS: SECRET_KEYS,
          ...opts.config,
        },
        logger: opts.logger ?? infra.logger,
        store,
        bus,
        clock: opts.clock ?? systemClock,
        outbox: { sweepIntervalMs: 200, staleAfterMs: 300 },
        ...(opts.storage ? { storage: opts.storage } : {}),
      }),
    );
  const service = await build();
  // A second tenant, to prove tenants cannot see each other's links.
  await buildLinkService({
    config: { PUBLIC_UPLOAD_BASE_URL: 'https://x/u/', UPLINK_BOOTSTRAP_API_KEY: OTHER_API_KEY },
    logger: infra.logger,
    store,
    bus,
    clock: systemClock,
  }).then(async (s) => {
    await prepareService(s);
    await s.app.close();
  });
  return { infra, store, bus, service, build };
}

export const auth = (key = API_KEY) => ({ authorization: `Bearer ${key}` });

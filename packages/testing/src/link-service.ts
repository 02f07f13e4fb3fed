import type { NatsEventBus } from '@uplink/event-bus/nats';
import {
  type Clock,
  prepareService,
  SecretBox,
  type Service,
  startWorkers,
  stopWorkers,
  systemClock,
} from '@uplink/kit';
import { buildLinkService, type LinkServiceDeps } from '@uplink/link-service';
import { MongoSessionStore } from '@uplink/session-store';
import { startTestInfra, type TestInfra } from './infra.ts';

export const API_KEY = 'upk_test_key_for_tenant_a_000000000000';
export const OTHER_API_KEY = 'upk_test_key_for_tenant_b_000000000000';
export const OPERATOR_TOKEN = 'operator-token-for-tests-0000000000';
export const SECRET_KEYS = SecretBox.generateSpec('test');

export type LinkServiceHarness = {
  infra: TestInfra;
  bus: NatsEventBus;
  service: Service;
  /** Builds another instance of the service on the same servers. */
  build(opts?: { clock?: Clock; config?: Partial<LinkServiceDeps['config']> }): Promise<Service>;
  close(): Promise<void>;
};

/** link-service on real NATS and MongoDB-wire servers, with two bootstrap tenants. */
export async function startLinkService(): Promise<LinkServiceHarness> {
  const infra = await startTestInfra();
  const bus = await infra.connectBus('link-service');
  const services: Service[] = [];
  const build = async (opts: { clock?: Clock; config?: Partial<LinkServiceDeps['config']> } = {}) => {
    const service = await buildLinkService({
      config: {
        PUBLIC_UPLOAD_BASE_URL: 'https://uploads.example.com/u/',
        UPLINK_BOOTSTRAP_API_KEY: API_KEY,
        UPLINK_OPERATOR_TOKEN: OPERATOR_TOKEN,
        UPLINK_SECRET_KEYS: SECRET_KEYS,
        ...opts.config,
      },
      logger: infra.logger,
      store: await MongoSessionStore.prepared(infra.mongo),
      bus,
      clock: opts.clock ?? systemClock,
      outbox: { sweepIntervalMs: 200, staleAfterMs: 300 },
    });
    await prepareService(service);
    await startWorkers(service);
    services.push(service);
    return service;
  };
  const service = await build();
  // A second tenant, to prove tenants cannot see each other's links.
  await buildLinkService({
    config: { PUBLIC_UPLOAD_BASE_URL: 'https://x/u/', UPLINK_BOOTSTRAP_API_KEY: OTHER_API_KEY },
    logger: infra.logger,
    store: await MongoSessionStore.prepared(infra.mongo),
    bus,
    clock: systemClock,
  }).then(async (s) => {
    await prepareService(s);
    await s.app.close();
  });
  return {
    infra,
    bus,
    service,
    build,
    async close() {
      for (const s of services) {
        await stopWorkers(s);
        await s.app.close();
      }
      await infra.close();
    },
  };
}

export const auth = (key = API_KEY) => ({ authorization: `Bearer ${key}` });

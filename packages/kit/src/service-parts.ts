// The pieces every service's app factory assembles the same way.
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { createHttpApp, type HttpApp, type HttpAppOptions } from './http.ts';

/** What every session store offers the service frame: readiness, its errors' meaning and shutdown. */
export type StoreHandle = {
  readonly kind: string;
  ping(): Promise<void>;
  /** Whether `err` means the store cannot answer now (unreachable, locked): 503, not 500. */
  isUnavailable(err: unknown): boolean;
  close(): Promise<void>;
};

/** What every event bus offers the service frame: readiness and shutdown. */
export type BusHandle = { readonly kind: string; ping(): Promise<void>; close(): Promise<void> };

/**
 * What a service's app factory is built from; tests and the one-process runner pass the same
 * with other adapters. `S` is the session store and `B` the event bus (@uplink/event-bus's
 * EventBus): the service's packages know their full ports, the frame only their handles.
 */
export type AppDeps<C, S extends StoreHandle = StoreHandle, B extends BusHandle = BusHandle> = {
  config: C;
  logger: Logger;
  store: S;
  bus: B;
  clock: Clock;
  /** Tests shorten the outbox sweep; production keeps the defaults. */
  outbox?: { sweepIntervalMs?: number; staleAfterMs?: number };
};

/**
 * The service's HTTP app, ready only while its session store and event bus answer, and the
 * service's own dependencies in `options.readiness` (upload-gateway's malware scanner).
 */
export function serviceHttpApp(
  deps: Pick<AppDeps<unknown>, 'logger' | 'store' | 'bus'>,
  options: Omit<HttpAppOptions, 'logger' | 'isUnavailable'> = {},
): HttpApp {
  const { logger, store, bus } = deps;
  return createHttpApp({
    ...options,
    logger,
    readiness: { [store.kind]: () => store.ping(), [bus.kind]: () => bus.ping(), ...options.readiness },
    isUnavailable: (err) => store.isUnavailable(err),
  });
}

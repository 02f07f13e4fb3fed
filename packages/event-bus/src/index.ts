// The event bus: its port (bus.ts), the embedded SQLite adapter, publishing and consuming
// Uplink's events (validated both ways, with trace context), the outbox publisher and their
// metrics. The JetStream adapter is `@uplink/event-bus/nats`, imported only where NATS is
// configured, so the one-process default never loads the NATS client.
export * from './bus.ts';
export * from './events.ts';
export * from './metrics.ts';
export * from './outbox.ts';
export * from './sqlite-bus/index.ts';
export * from './trace-context.ts';
export * from './workers.ts';

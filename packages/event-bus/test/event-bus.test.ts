import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats } from '@uplink/dev-servers';
import { captureLogger } from '@uplink/testing';
import { openNatsBus } from '../src/nats.ts';
import { SqliteEventBus } from '../src/sqlite-bus/index.ts';
import { describeEventBus } from './conformance/event-bus.ts';

const { logger } = captureLogger();

describeEventBus('SQLite (embedded)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'uplink-bus-'));
  // A folder that does not exist yet: open() makes it.
  const file = join(dir, 'data', 'events.sqlite');
  let bus = SqliteEventBus.open(file, { logger });
  return {
    bus,
    async restart() {
      await bus.close();
      bus = SqliteEventBus.open(file, { logger });
      return bus;
    },
    async close() {
      await bus.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

// A nats-server per test: fresh streams, and a real server restart for the restart test.
describeEventBus('NATS JetStream', async () => {
  const nats = await startNats();
  let bus = await openNatsBus(nats.url, 'test', logger);
  return {
    bus,
    async restart() {
      await bus.close();
      await nats.stop();
      await nats.start();
      bus = await openNatsBus(nats.url, 'test', logger);
      return bus;
    },
    async close() {
      await bus.close();
      await nats.stop();
    },
  };
});

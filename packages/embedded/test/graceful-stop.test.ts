// npm start's stop (Ctrl-C) publishes the events of what it accepted, as a service alone does:
// a request still in flight when the HTTP servers close is answered, and its event is in the
// stream once the stop finished, not left in the outbox until the next start.
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subjects } from '@uplink/contracts';
import { startUplink } from '@uplink/embedded';
import { SqliteEventBus } from '@uplink/event-bus';
import { SqliteStore } from '@uplink/store';
import { embeddedUplinkEnv, requestInTwoParts } from '@uplink/testing';
import { expect, it } from 'vitest';

const API_KEY = 'upk_graceful_stop_0123456789abcdef0123';

/** Whether something listens on the port: false once the HTTP server began to close. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

it('publishes the event of a link created while its HTTP server closes', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uplink-graceful-stop-'));
  try {
    const env: NodeJS.ProcessEnv = {
      ...(await embeddedUplinkEnv()),
      LOG_LEVEL: 'warn',
      UPLINK_BOOTSTRAP_API_KEY: API_KEY,
    };
    const uplink = await startUplink({ env, dataDir });
    const port = Number(env.LINK_SERVICE_PORT);
    const inFlight = requestInTwoParts(
      port,
      '/v1/links',
      { authorization: `Bearer ${API_KEY}` },
      JSON.stringify({ ticket: { provider: 'freshdesk', id: 'closing' } }),
    );
    // Its headers are read long before this; the link service then waits for the rest.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopped = uplink.stop('test');
    for (const deadline = Date.now() + 10_000; await listening(port); ) {
      if (Date.now() > deadline) throw new Error('the HTTP server never began to close');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const created = await inFlight.finish();
    expect(created.status).toBe(201);
    const linkId = (created.body as { id: string }).id;
    await stopped;

    const bus = SqliteEventBus.open(join(dataDir, 'events.sqlite'));
    const store = new SqliteStore(join(dataDir, 'sessions.sqlite'));
    try {
      const { lastSeq } = await bus.streamInfo();
      const createdFor: string[] = [];
      for await (const message of bus.read(1, lastSeq, Subjects.linkCreated)) {
        createdFor.push((message.json() as { linkId: string }).linkId);
      }
      expect(createdFor).toEqual([linkId]);
      expect(await store.links.outbox.entries(linkId)).toEqual([]);
    } finally {
      await bus.close();
      await store.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}, 60_000);

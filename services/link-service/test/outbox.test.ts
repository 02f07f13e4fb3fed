import { Subjects } from '@uplink/contracts';
import { type EventBus, OutboxPublisher, publishEvent } from '@uplink/event-bus';
import { systemClock } from '@uplink/kit';
import { eventually, itOnServers, streamMessages } from '@uplink/testing';
import { auth, type LinkServiceHarness, linkServiceHarness } from '@uplink/testing/link-service';
import { beforeAll, describe, expect, it } from 'vitest';

let h: LinkServiceHarness;
beforeAll(async () => {
  h = await linkServiceHarness();
});

const linkCreatedFor = async (linkId: string) =>
  (await streamMessages(h.bus, Subjects.linkCreated)).filter(
    (m) => (m.json() as { linkId: string }).linkId === linkId,
  );

describe('transactional outbox', () => {
  itOnServers('stops and restarts nats-server')(
    'keeps an event created while NATS is down and publishes it once NATS is back',
    async () => {
      const { nats } = h.infra.servers();
      await nats.stop();
      const res = await h.service.app.inject({
        method: 'POST',
        url: '/v1/links',
        headers: auth(),
        payload: { ticket: { provider: 'freshdesk', id: 'nats-down' } },
      });
      // The API does not depend on the broker: the event waits in the link's outbox.
      expect(res.statusCode).toBe(201);
      const { id } = res.json();
      await new Promise((r) => setTimeout(r, 500));
      const waiting = await h.store.links.outbox.entries(id);
      expect(waiting.map((e) => e.subject)).toEqual([Subjects.linkCreated]);

      await nats.start();
      const published = await eventually(
        'link.created published after NATS returned',
        async () => {
          const found = await linkCreatedFor(id);
          return found.length > 0 ? found : undefined;
        },
        20_000,
      );
      expect(published).toHaveLength(1);
      await eventually('outbox emptied', async () => {
        return (await h.store.links.outbox.entries(id)).length === 0;
      });
    },
  );

  it('does not duplicate an event when the publisher dies between publish and bookkeeping', async () => {
    const { links } = h.store;
    // A link written without any publisher running, as if its writer crashed right after.
    const { link } = await links.create({
      tenantId: 'ten_AAAAAAAAAAAAAAAAAAAA',
      ticket: { provider: 'webhook', id: 'crash-1' },
      validityHours: 1,
      now: new Date(),
    });
    const entry = link.outbox?.[0];
    if (!entry) throw new Error('no outbox entry');
    // The crashed publisher got as far as JetStream's ack, but never removed the entry.
    const first = await publishEvent(h.bus, entry.subject, entry.event, { msgId: entry.eventId });
    expect(first.duplicate).toBe(false);
    expect(await links.outbox.entries(link._id)).toHaveLength(1);

    // Another replica's sweep finds the entry and sends it again.
    const sweeper = new OutboxPublisher({
      store: links.outbox,
      bus: h.bus,
      logger: h.infra.logger,
      clock: systemClock,
      staleAfterMs: 0,
    });
    await eventually('sweep handled the link', async () => {
      await sweeper.sweep();
      return (await links.outbox.entries(link._id)).length === 0;
    });
    expect(await linkCreatedFor(link._id)).toHaveLength(1);
    expect(h.infra.logs.some((l) => l.msg === 'entry was already published' && l.docId === link._id)).toBe(
      true,
    );
  });

  it("lets go of a document's lease once its sweep published it, so another replica's sweep takes a later entry at once", async () => {
    const { links } = h.store;
    const { link } = await links.create({
      tenantId: 'ten_AAAAAAAAAAAAAAAAAAAA',
      ticket: { provider: 'webhook', id: 'lease-1' },
      validityHours: 1,
      now: new Date(),
    });
    const replica = () =>
      new OutboxPublisher({
        store: links.outbox,
        bus: h.bus,
        logger: h.infra.logger,
        clock: systemClock,
        staleAfterMs: 0,
      });
    // The link's writer crashed before publishing: one replica's sweep sends its entry.
    expect(await replica().sweep()).toBe(1);
    expect(await links.outbox.entries(link._id)).toEqual([]);
    expect((await links.getById(link._id))?.outboxLeaseUntil).toBeUndefined();

    // A later entry its writer could not publish either goes out with another replica's next
    // sweep, not 30 s later when the first sweep's lease would have run out.
    await links.noteRejectedAttempt(link, new Date());
    expect(await replica().sweep()).toBe(1);
    expect(await links.outbox.entries(link._id)).toEqual([]);
  });

  it('leaves a document it is publishing to that publish, so the sweep still takes its later entries', async () => {
    const { links } = h.store;
    const { link } = await links.create({
      tenantId: 'ten_AAAAAAAAAAAAAAAAAAAA',
      ticket: { provider: 'webhook', id: 'in-flight-1' },
      validityHours: 1,
      now: new Date(),
    });
    // The bus answers this publisher only when the test says so, as a slow disk would.
    let answer = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const slowBus = new Proxy(h.bus, {
      get(bus, name: keyof EventBus) {
        if (name === 'publish')
          return async (...args: Parameters<EventBus['publish']>) => {
            await answered;
            return bus.publish(...args);
          };
        const value = bus[name];
        return typeof value === 'function' ? value.bind(bus) : value;
      },
    });
    const publisher = new OutboxPublisher({
      store: links.outbox,
      bus: slowBus,
      logger: h.infra.logger,
      clock: systemClock,
      staleAfterMs: 0,
    });
    publisher.publishSoon(link._id);
    // Its entry is stale already, but its publish is under way: the sweep leaves it (no lease).
    const swept = publisher.sweep();
    answer();
    expect(await swept).toBe(0);
    await eventually('outbox emptied', async () => (await links.outbox.entries(link._id)).length === 0);
    expect((await links.getById(link._id))?.outboxLeaseUntil).toBeUndefined();

    // A later entry nobody publishes at once goes out with the next sweep.
    await links.noteRejectedAttempt(link, new Date());
    expect(await publisher.sweep()).toBe(1);
    expect(await links.outbox.entries(link._id)).toEqual([]);
  });
});

// Scale-out on one machine: two instances of every service (8 processes, each its real main.ts),
// one NATS, one MongoDB-wire database, one Azurite container, and a readiness-probing client-side
// load balancer per HTTP service. 500 links go through the whole flow to the Freshdesk double
// while 100 unused links expire; mid-run one instance of every service is SIGKILLed (and
// restarted), later another of every service gets SIGTERM (and a replacement starts). The
// counts land in test-artifacts/scale-out.json, the instances' logs in test-artifacts/scale-out/.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ferretDbBackendFromEnv, type MongoServer, startMongo, startNats } from '@uplink/dev-servers';
import { OutboxPublisher } from '@uplink/event-bus';
import { openNatsBus } from '@uplink/event-bus/nats';
import { createLogger, randomId, SecretBox, systemClock } from '@uplink/kit';
import { mongoTestOptions } from '@uplink/testing';
import { expect, inject, it } from 'vitest';
import { startFreshdeskDouble } from '../../packages/saas-doubles/src/index.ts';
import { connectMongo, MongoLinkStore } from '../../packages/store/src/mongo/index.ts';
import { bootstrapTenantId } from '../../packages/tenants/src/index.ts';
import { Balancer, type RequestRecord } from './balancer.ts';
import { LOST_DELIVERED_WRITE, leftByGracefulStops, settle, verify } from './checks.ts';
import { type Sent, sendFile } from './flow.ts';
import { Cluster, type Instance, type ServiceName } from './instances.ts';
import { judgeRequests } from './requests.ts';

const LINKS = 500;
const UNUSED = 100;
/** Link i starts no earlier than i * PACE_MS into the load, so requests flow during the stops. */
const PACE_MS = 80;
// Each flow includes the customer's pause (flow.ts), so more of them are under way at once.
const CONCURRENCY = 24;
const KILL_AFTER = 150;
const TERMINATE_AFTER = 320;
/** Unused links expire from 5 s into the load, spread over 30 s (across both stops). */
const EXPIRY_FROM_MS = 5_000;
const EXPIRY_SPREAD_MS = 30_000;
/** Between /readyz turning 503 and the listener closing; the balancers probe every 100 ms. */
const DRAIN_MS = Number(process.env.SCALE_OUT_DRAIN_DELAY_MS ?? 1_000);
/** Freshdesk's answer time: deliveries are in flight when note-relay instances are stopped. */
const FRESHDESK_LATENCY_MS = Number(process.env.SCALE_OUT_FRESHDESK_LATENCY_MS ?? 400);
const SERVICES: ServiceName[] = ['link-service', 'upload-gateway', 'note-relay', 'expiry-scheduler'];
const artifacts = join(import.meta.dirname, '..', '..', 'test-artifacts');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what: string, check: () => boolean, timeoutMs: number, everyMs = 250) {
  for (const deadline = Date.now() + timeoutMs; !check(); await sleep(everyMs)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

it('runs two instances of every service through kills and graceful stops, each file delivered once', async () => {
  const started = Date.now();
  const logDir = join(artifacts, 'scale-out');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  // FerretDB's SQLite backend serialises writers and scans whole collections: eight processes on
  // it manage a few links a second. Then this file runs its own FerretDB on PostgreSQL, as the
  // benchmarks do; on MongoDB (or FerretDB on PostgreSQL) it uses the run's server.
  const ferret = inject('mongoKind') === 'ferretdb';
  let ownMongo: MongoServer | undefined;
  if (ferret && ferretDbBackendFromEnv() === 'sqlite') ownMongo = await startMongo({ backend: 'postgresql' });
  const base = ownMongo?.uri ?? inject('mongoUri');
  const apiKey = `upk_${randomId('scaleout', 24)}`;
  const tenantId = bootstrapTenantId(apiKey);
  const nats = await startNats();
  const double = await startFreshdeskDouble({
    retainAttachmentBytes: false,
    chaos: { latencyMs: FRESHDESK_LATENCY_MS },
  });
  const logger = createLogger({ service: 'scale-out-test', level: 'warn' });
  const db = `scaleout_${randomId('db', 10)}`;
  const mongo = await connectMongo(base, db, 'scale-out-test', mongoTestOptions());
  const bus = await openNatsBus(nats.url, 'scale-out-test', logger);
  const records: RequestRecord[] = [];
  const lb = {
    links: new Balancer('link-service', records),
    gateway: new Balancer('upload-gateway', records),
  };
  const cluster = new Cluster({
    // On FerretDB, one command at a time per process, as the tests' own clients (mongoTestOptions).
    mongoUri: ferret ? `${base}${base.includes('?') ? '&' : '?'}maxPoolSize=1` : base,
    db,
    natsUrl: nats.url,
    azuriteConnectionString: inject('azurite').connectionString,
    container: `scaleout-${randomId('c', 10).slice(2).toLowerCase()}`,
    apiKey,
    secretKeys: SecretBox.generateSpec('scaleout'),
    drainDelayMs: DRAIN_MS,
    logDir,
    onReady: (i) => {
      if (i.service === 'link-service') lb.links.add(i);
      if (i.service === 'upload-gateway') lb.gateway.add(i);
    },
  });

  try {
    await Promise.all(SERVICES.flatMap((s) => [cluster.launch(s), cluster.launch(s)]));
    const setupMs = Date.now() - started;
    const settings = await lb.links.request('settings', 'PUT', '/v1/settings', {
      body: { destinations: { freshdesk: { baseUrl: double.url, apiKey: double.apiKey } } },
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(settings.status).toBe(200);

    // --- Unused links: straight into the database, link.created published as the API would.
    const links = new MongoLinkStore(mongo.db);
    const outbox = new OutboxPublisher({ store: links.outbox, bus, logger, clock: systemClock });
    const loadStart = Date.now();
    const unused: string[] = [];
    for (let k = 0; k < UNUSED; k++) {
      const { link } = await links.create({
        tenantId,
        ticket: { provider: 'freshdesk', id: String(900_000 + k) },
        validityHours: 1,
        now: new Date(),
        expiresAt: new Date(loadStart + EXPIRY_FROM_MS + (k * EXPIRY_SPREAD_MS) / UNUSED),
      });
      unused.push(link._id);
      await outbox.publishDocument(link._id, link.outbox);
    }

    // --- The load, paced, with the stops beside it.
    const sent: Sent[] = [];
    const flowErrors: string[] = [];
    const events: string[] = [];
    const note = (text: string) => {
      events.push(`+${((Date.now() - loadStart) / 1000).toFixed(1)} s ${text}`);
      console.log(events.at(-1));
    };
    let next = 0;
    let finished = 0;
    const worker = async () => {
      for (let i = next++; i < LINKS; i = next++) {
        await sleep(loadStart + i * PACE_MS - Date.now());
        double.addTicket({ id: 70_000 + i });
        try {
          sent.push(await sendFile(lb, apiKey, 70_000 + i, i, records));
        } catch (err) {
          flowErrors.push(`link ${i}: ${(err as Error).message}`);
        }
        if (++finished % 100 === 0) note(`${finished} links through the flow`);
      }
    };
    // An HTTP instance gets its signal while it has a request in flight (waiting at most 5 s).
    const busy = (i: Instance) =>
      i.service === 'link-service' || i.service === 'upload-gateway'
        ? until(
            `a request on ${i.name}`,
            () => records.some((r) => r.instance === i.name && !r.endedAt),
            5_000,
            2,
          ).catch(() => note(`${i.name} had no request in flight for 5 s`))
        : Promise.resolve();
    const chaos = async () => {
      await until('the first stop', () => finished >= KILL_AFTER, 120_000);
      const killed = SERVICES.map((s) => cluster.oldest(s));
      await Promise.all(killed.map((i) => busy(i).then(() => i.kill())));
      note(`SIGKILL ${killed.map((i) => i.name).join(', ')}`);
      const restarted = await Promise.all(SERVICES.map((s) => cluster.launch(s)));
      note(`restarted as ${restarted.map((i) => i.name).join(', ')}`);
      await until('the graceful stop', () => finished >= TERMINATE_AFTER, 120_000);
      const stopping = SERVICES.map((s) => cluster.oldest(s));
      note(`SIGTERM ${stopping.map((i) => i.name).join(', ')}; replacements starting`);
      await Promise.all([
        ...stopping.map(async (i) => {
          await busy(i);
          await i.terminate();
          note(`${i.name} exited ${i.stopMs} ms after SIGTERM`);
        }),
        ...SERVICES.map(async (s) => note(`${(await cluster.launch(s)).name} ready`)),
      ]);
    };
    await Promise.all([...Array.from({ length: CONCURRENCY }, worker), chaos()]);
    const loadMs = Date.now() - loadStart;

    const settleStart = Date.now();
    const consumers = await settle(bus, links.collection, double, sent, unused, ferret).catch(
      (err: Error) => {
        flowErrors.push(err.message);
        return {};
      },
    );
    const settleMs = Date.now() - settleStart;

    const { delivered, expired, linksInDb } = await verify(bus, links.collection, double, sent, unused, {
      tenantId,
      instances: cluster.instances,
    });

    // --- Stop what is left, gracefully, and judge every request.
    const stopAt = Date.now();
    await Promise.all(cluster.running().map((i) => i.terminate()));
    const stopAllMs = Date.now() - stopAt;
    const afterStops = await leftByGracefulStops(
      bus,
      links.collection,
      [...sent.map((s) => s.linkId), ...unused],
      sent,
      cluster.instances,
    );
    const requests = judgeRequests(records, cluster.instances);
    const answered = (op: string, status: number) =>
      records.filter((r) => r.op === op && r.status === status).length;
    const summary = {
      mongo: `${inject('mongoKind')}${ownMongo ? ' (own, on PostgreSQL)' : ''}${ferret ? ', maxPoolSize=1 per process' : ''}`,
      drainDelayMs: DRAIN_MS,
      freshdeskLatencyMs: FRESHDESK_LATENCY_MS,
      links: {
        created: answered('create link', 201),
        uploadsCompleted: answered('complete', 200),
        unusedInserted: UNUSED,
        inDb: linksInDb,
      },
      delivered,
      expired,
      kills: cluster.instances.filter((i) => i.killedAt).map((i) => i.name),
      gracefulStops: cluster.instances
        .filter((i) => i.terminatedAt !== undefined)
        .map((i) => ({
          instance: i.name,
          midRun: (i.terminatedAt ?? 0) < stopAt,
          stopMs: i.stopMs,
          ...i.shutdownLog(),
        })),
      afterStops,
      instancesStarted: cluster.instances.length,
      consumers,
      requests: { ...requests, retried: requests.retried.length, retriedDetail: requests.retried },
      flowErrors,
      events,
      durationsMs: {
        setup: setupMs,
        load: loadMs,
        settle: settleMs,
        stopAll: stopAllMs,
        total: Date.now() - started,
      },
    };
    writeFileSync(join(artifacts, 'scale-out.json'), `${JSON.stringify(summary, null, 2)}\n`);
    console.log(
      `scale-out (details in test-artifacts/scale-out.json): ${summary.links.uploadsCompleted} uploads, ` +
        `${delivered.notes} notes (${delivered.problems.length} problems), delivered in DB ${delivered.db.delivered ?? 0} ` +
        `(+${delivered.anomalies.filter((a) => a.lostWrite === LOST_DELIVERED_WRITE).length} lost to FerretDB); ` +
        `expired ${expired.db.expired ?? 0}/${UNUSED} with ${expired.linkExpired.messages} link.expired; ` +
        `${requests.total} requests, ${requests.retried.length} retried after SIGKILL, ${requests.failures.length} failed, ` +
        `${requests.gracefulStop.requestsDuring} during graceful stops (${requests.gracefulStop.failedDuring} failed); ` +
        `kills ${summary.kills.join(', ')}; ${JSON.stringify(summary.durationsMs)}`,
    );

    expect(flowErrors).toEqual([]);
    expect(requests.failures).toEqual([]);
    expect(requests.gracefulStop).toMatchObject({ failedDuring: 0, failedOnStopping: 0 });
    expect(requests.gracefulStop.servedByStopping).toBeGreaterThan(0);
    // Exactly one note with the right bytes per link, on any database.
    expect(delivered).toMatchObject({ notes: LINKS, problems: [] });
    expect(delivered.uploadCompleted).toMatchObject({ messages: LINKS, missing: 0, duplicated: 0 });
    // Every link delivered in the database. On MongoDB with no exception; on FerretDB v1 a link may
    // have lost its received -> delivered write (and so its note.posted) to another process's
    // whole-document rewrite (README, "FerretDB caveats") — that and nothing else.
    const lostWrites = delivered.anomalies.filter((a) => a.lostWrite === LOST_DELIVERED_WRITE).length;
    if (!ferret) expect(lostWrites).toBe(0);
    expect(delivered.anomalies.filter((a) => a.lostWrite !== LOST_DELIVERED_WRITE)).toEqual([]);
    expect((delivered.db.delivered ?? 0) + lostWrites).toBe(LINKS);
    // A lost delivered write loses its note.posted too, unless the outbox had already published
    // it when the stale whole-document write landed: at most one missing event per lost write.
    expect(delivered.notePosted.duplicated).toBe(0);
    expect(delivered.notePosted.messages + delivered.notePosted.missing).toBe(LINKS);
    expect(delivered.notePosted.missing).toBeLessThanOrEqual(lostWrites);
    expect(expired).toMatchObject({
      db: { expired: UNUSED },
      linkExpired: { messages: UNUSED, missing: 0, duplicated: 0 },
      linkExpiredForSentLinks: 0,
    });
    for (const stop of summary.gracefulStops) expect(stop).toMatchObject({ complete: true, failed: [] });
    // A graceful stop publishes what it accepted itself: no entry is left in any outbox once all
    // stopped, and each link created by an instance that stopped was in the stream before it exited.
    expect(afterStops).toMatchObject({ withOutbox: [], publishedAfterExit: [] });
    expect(afterStops.createdByStopped).toBeGreaterThan(0);
  } finally {
    lb.links.stop();
    lb.gateway.stop();
    await Promise.allSettled(cluster.running().map((i) => i.terminate()));
    await bus.close().catch(() => undefined);
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.client.close().catch(() => undefined);
    await ownMongo?.stop();
    await double.stop();
    await nats.stop();
  }
}, 180_000);

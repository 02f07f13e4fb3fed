// Benchmark: SSE fan-out. 1,000 clients stream one ticket's links from link-service
// (`GET /v1/tickets/{provider}/{ticketId}/links/stream`, the API key in its header), then links of
// that ticket are created through the API (`POST /v1/links`), one every 200 ms. Measured: the time from each
// change's HTTP answer to each client receiving the matching `event: link` frame, and to the last
// of the 1,000 receiving it; the RSS of the process serving the streams.
//
// Two configurations, the same clients and changes (measureTarget):
// - nats: link-service alone, its real main.ts in a child process, on FerretDB (PostgreSQL) and
//   NATS JetStream, as deployed;
// - embedded: the `npm start` default, scripts/start.ts in a child process (all four services and
//   Azurite in one process, SQLite session store and SQLite event bus) in a temp data dir, with
//   free ports and a fixed bootstrap API key. Its RSS is the whole Uplink process's.
// The clients live in this process (node:http, keep-alive agent, one socket each, frames parsed
// minimally). The baseline is the same 1,000 clients on a trivial node:http SSE server in a child
// that broadcasts on a timer (bench/lib/children/sse-baseline.ts); its delay runs from just
// before the broadcast's writes.
//
// Target: none beyond "report p99".
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedUplinkEnv } from '@uplink/testing';
import { NPM_START_NODE_OPTIONS } from '../packages/embedded/src/runtime.ts';
import {
  type BenchChild,
  type BenchResult,
  benchDir,
  cpuMs,
  log,
  percentile,
  round,
  sleep,
  startChild,
  startInfra,
  startReadyProcess,
  startService,
} from './lib/common.ts';

const NAME = 'sse-fanout';
const CLIENTS = 1000;
const WARMUP_CHANGES = 3;
const CHANGES = 50;
const INTERVAL_MS = 200;
const OPEN_CONCURRENCY = 50;
const DELIVERY_TIMEOUT_MS = 15_000;
const API_KEY = 'upk_bench_bootstrap_key_000000000000000';
const TICKET = { provider: 'freshdesk', id: '424242' };

const epochNow = () => performance.timeOrigin + performance.now();

type Stream = { close(): void };

/** Where every client's frames are counted: receipt times of `event: link` frames by link id. */
class Receipts {
  readonly byId = new Map<string, number[]>();
  /** The baseline's frames carry their own send time. */
  readonly sentAt = new Map<string, number>();
  closedEarly = 0;
  framesWithoutId = 0;
  record(data: string, at: number): void {
    // The view's first key is its id: no JSON.parse per frame.
    const match = /"id":"([^"]+)"/.exec(data);
    if (!match) {
      this.framesWithoutId++;
      return;
    }
    const id = match[1] as string;
    let list = this.byId.get(id);
    if (!list) {
      list = [];
      this.byId.set(id, list);
    }
    list.push(at);
    if (list.length === 1) {
      const sent = /"sentAt":([\d.]+)/.exec(data);
      if (sent) this.sentAt.set(id, Number(sent[1]));
    }
  }
  async waitFor(ids: string[], count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (ids.every((id) => (this.byId.get(id)?.length ?? 0) >= count)) return;
      await sleep(50);
    }
  }
}

/** Opens one stream; resolves once its first frame (the snapshot) arrived. */
function openStream(agent: Agent, port: number, path: string, receipts: Receipts): Promise<Stream> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        headers: { accept: 'text/event-stream', authorization: `Bearer ${API_KEY}` },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          settled = true;
          reject(new Error(`stream answered ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        let buffered = '';
        res.on('data', (chunk: string) => {
          const at = epochNow();
          buffered += chunk;
          for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
            const frame = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            if (frame.startsWith('event: link\n')) {
              const dataAt = frame.indexOf('\ndata: ');
              if (dataAt >= 0) receipts.record(frame.slice(dataAt + 7), at);
            } else if (!settled && frame.startsWith('event: snapshot\n')) {
              settled = true;
              resolve({ close: () => req.destroy() });
            }
          }
        });
        res.on('close', () => {
          if (settled) receipts.closedEarly++;
        });
      },
    );
    req.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    req.end();
  });
}

async function openStreams(
  port: number,
  path: string,
  receipts: Receipts,
): Promise<{ streams: Stream[]; ms: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const streams: Stream[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: OPEN_CONCURRENCY }, async () => {
      while (next < CLIENTS) {
        next++;
        for (let attempt = 0; ; attempt++) {
          try {
            streams.push(await openStream(agent, port, path, receipts));
            break;
          } catch (err) {
            // 503 until the feed runs; anything persistent fails the run.
            if (attempt >= 50) throw err;
            await sleep(100);
          }
        }
      }
    }),
  );
  return { streams, ms: performance.now() - started };
}

function rssMB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? round(Number(match[1]) / 1024, 1) : Number.NaN;
}

type Figures = { p50: number; p90: number; p99: number; max: number; n: number };

function figures(values: number[]): Figures {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50), 2),
    p90: round(percentile(sorted, 90), 2),
    p99: round(percentile(sorted, 99), 2),
    max: round(sorted.at(-1) ?? Number.NaN, 2),
    n: sorted.length,
  };
}

/** Per client (every receipt) and per change (the last of the clients to receive it). */
function delays(receipts: Receipts, changes: Array<{ id: string; at: number }>) {
  const perClient: number[] = [];
  const firstNotified: number[] = [];
  const allNotified: number[] = [];
  let missing = 0;
  for (const change of changes) {
    const times = receipts.byId.get(change.id) ?? [];
    missing += Math.max(0, CLIENTS - times.length);
    for (const t of times) perClient.push(t - change.at);
    if (times.length > 0) {
      firstNotified.push(Math.min(...times) - change.at);
      allNotified.push(Math.max(...times) - change.at);
    }
  }
  return {
    perClientMs: figures(perClient),
    firstNotifiedMs: figures(firstNotified),
    allNotifiedMs: figures(allNotified),
    /** Per change, in order: the first and the last client's delay. */
    perChangeMs: firstNotified.map((first, i) => [round(first, 1), round(allNotified[i] as number, 1)]),
    missing,
  };
}

async function createLink(port: number): Promise<{ id: string; requestAt: number; answeredAt: number }> {
  const requestAt = epochNow();
  const response = await fetch(`http://127.0.0.1:${port}/v1/links`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({ ticket: TICKET, validityHours: 2 }),
  });
  const body = (await response.json()) as { id?: string };
  const answeredAt = epochNow();
  if (response.status !== 201 || !body.id) {
    throw new Error(`POST /v1/links answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  }
  return { id: body.id, requestAt, answeredAt };
}

/** The link-service under test: where its API listens, and the process serving the streams. */
type Target = { label: string; port: number; pid: number };

/**
 * The measurement itself, the same for every target: one link on the ticket, the 1,000 streams,
 * then the changes, one every INTERVAL_MS, and each client's receipt of each.
 */
async function measureTarget({ label, port, pid }: Target): Promise<Record<string, unknown>> {
  let streams: Stream[] = [];
  try {
    // One link on the ticket before the streams open, so each snapshot reads a real list.
    await createLink(port);
    await sleep(1_000);
    const idleRssMB = rssMB(pid);
    const receipts = new Receipts();
    const path = `/v1/tickets/${TICKET.provider}/${TICKET.id}/links/stream`;
    log(NAME, `${label}: opening ${CLIENTS} streams (pid ${pid}, idle RSS ${idleRssMB} MB)`);
    const opened = await openStreams(port, path, receipts);
    streams = opened.streams;
    await sleep(2_000);
    const openRssMB = rssMB(pid);
    log(NAME, `${label}: ${streams.length} streams open in ${round(opened.ms, 0)} ms; RSS ${openRssMB} MB`);

    const cpuBefore = cpuMs(pid) ?? 0;
    const changes: Array<{ id: string; requestAt: number; answeredAt: number }> = [];
    for (let i = 0; i < WARMUP_CHANGES + CHANGES; i++) {
      const started = Date.now();
      changes.push(await createLink(port));
      await sleep(Math.max(0, INTERVAL_MS - (Date.now() - started)));
    }
    await receipts.waitFor(
      changes.map((c) => c.id),
      CLIENTS,
      DELIVERY_TIMEOUT_MS,
    );
    const cpuDuringMs = (cpuMs(pid) ?? 0) - cpuBefore;
    const peakRssMB = rssMB(pid);
    const measured = changes.slice(WARMUP_CHANGES);
    const fromAnswer = delays(
      receipts,
      measured.map((c) => ({ id: c.id, at: c.answeredAt })),
    );
    const fromRequest = delays(
      receipts,
      measured.map((c) => ({ id: c.id, at: c.requestAt })),
    );
    const answerMs = figures(measured.map((c) => c.answeredAt - c.requestAt));
    log(
      NAME,
      `${label}: change answered -> client p50 ${fromAnswer.perClientMs.p50} ms, p99 ${fromAnswer.perClientMs.p99} ms, ` +
        `max ${fromAnswer.perClientMs.max} ms; all ${CLIENTS} notified p50 ${fromAnswer.allNotifiedMs.p50} ms, ` +
        `p99 ${fromAnswer.allNotifiedMs.p99} ms; missing ${fromAnswer.missing}; RSS ${openRssMB} MB`,
    );
    return {
      streamsOpen: streams.length,
      openAllMs: round(opened.ms, 0),
      rssMB: { idle: idleRssMB, streamsOpen: openRssMB, afterChanges: peakRssMB },
      cpuMsPerChange: round(cpuDuringMs / changes.length, 1),
      postAnswerMs: answerMs,
      postAnswerPerChangeMs: measured.map((c) => round(c.answeredAt - c.requestAt, 1)),
      fromAnswer,
      fromRequest,
      framesWithoutId: receipts.framesWithoutId,
      streamsClosedEarly: receipts.closedEarly,
    };
  } finally {
    for (const s of streams) s.close();
  }
}

/** link-service alone, its real main.ts, on FerretDB (PostgreSQL) and NATS. */
async function runNats(): Promise<Record<string, unknown>> {
  log(NAME, 'starting MongoDB-wire server and nats-server');
  const infra = await startInfra();
  let service: BenchChild | undefined;
  try {
    service = await startService(
      'link-service',
      'link-service',
      {
        MONGODB_URI: infra.mongo.uri,
        MONGODB_DB: 'bench_sse',
        NATS_URL: infra.nats.url,
        UPLINK_BOOTSTRAP_API_KEY: API_KEY,
      },
      { run: NAME },
    );
    return {
      process: 'services/link-service/src/main.ts (link-service alone)',
      ...(await measureTarget({ label: 'nats', port: service.ready.port as number, pid: service.pid })),
    };
  } finally {
    await service?.stop();
    await infra.stop();
  }
}

/**
 * The `npm start` default: scripts/start.ts, all four services and Azurite in one process on the
 * SQLite session store and event bus, in a temp data dir. Spawned with this Node directly (no
 * launchers), so its pid is the process serving the streams.
 */
async function runEmbedded(): Promise<Record<string, unknown>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'uplink-sse-fanout-'));
  const env: NodeJS.ProcessEnv = {
    ...(await embeddedUplinkEnv()),
    UPLINK_DATA_DIR: dataDir,
    UPLINK_BOOTSTRAP_API_KEY: API_KEY,
    LOG_LEVEL: 'warn',
  };
  const port = Number(env.LINK_SERVICE_PORT);
  log(NAME, `starting scripts/start.ts (embedded) in ${dataDir}`);
  const uplink = await startReadyProcess({
    name: 'scripts/start.ts',
    args: [...NPM_START_NODE_OPTIONS.split(' '), join(benchDir, '..', 'scripts', 'start.ts')],
    env,
    port,
    logFile: join(benchDir, 'results', `${NAME}-uplink-embedded.log`),
    // Ctrl-C, as a person stops it.
    stopSignal: 'SIGINT',
  }).catch(async (err: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  try {
    return {
      process: 'scripts/start.ts (all four services and Azurite, embedded adapters)',
      ...(await measureTarget({ label: 'embedded', port, pid: uplink.pid })),
    };
  } finally {
    await uplink.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function runBaseline(): Promise<Record<string, unknown>> {
  const total = WARMUP_CHANGES + CHANGES;
  const child = await startChild(
    'sse-baseline',
    'sse-baseline.ts',
    {
      SSE_CLIENTS: String(CLIENTS),
      SSE_CHANGES: String(total),
      SSE_INTERVAL_MS: String(INTERVAL_MS),
      SSE_SETTLE_MS: '2000',
    },
    { run: NAME },
  );
  let streams: Stream[] = [];
  try {
    const receipts = new Receipts();
    const idleRssMB = rssMB(child.pid);
    const opened = await openStreams(child.ready.port as number, '/stream', receipts);
    streams = opened.streams;
    await sleep(1_000);
    const openRssMB = rssMB(child.pid);
    const ids = Array.from({ length: total }, (_, i) => `b${i + 1}`);
    await receipts.waitFor(ids, CLIENTS, total * INTERVAL_MS + 3_000 + DELIVERY_TIMEOUT_MS);
    // Each frame carries its sentAt; the child's clock and ours are the same machine's.
    const fromBroadcast = delays(
      receipts,
      ids.slice(WARMUP_CHANGES).map((id) => ({ id, at: receipts.sentAt.get(id) ?? Number.NaN })),
    );
    log(
      NAME,
      `baseline: broadcast -> client p50 ${fromBroadcast.perClientMs.p50} ms, p99 ${fromBroadcast.perClientMs.p99} ms, ` +
        `max ${fromBroadcast.perClientMs.max} ms; all notified p99 ${fromBroadcast.allNotifiedMs.p99} ms; RSS ${openRssMB} MB`,
    );
    return {
      streamsOpen: streams.length,
      openAllMs: round(opened.ms, 0),
      rssMB: { idle: idleRssMB, streamsOpen: openRssMB },
      fromBroadcast,
    };
  } finally {
    for (const s of streams) s.close();
    await child.stop();
  }
}

type Measured = {
  fromAnswer: ReturnType<typeof delays>;
  rssMB: { idle: number; streamsOpen: number };
};

export async function runSseFanout(): Promise<BenchResult> {
  const baseline = await runBaseline();
  const nats = await runNats();
  const embedded = await runEmbedded();
  const n = nats as Measured;
  const e = embedded as Measured;
  const b = baseline.fromBroadcast as ReturnType<typeof delays>;
  const figuresOf = (m: Measured) =>
    `p50 ${m.fromAnswer.perClientMs.p50} ms, p99 ${m.fromAnswer.perClientMs.p99} ms ` +
    `(all notified p99 ${m.fromAnswer.allNotifiedMs.p99} ms), RSS ${m.rssMB.streamsOpen} MB`;
  return {
    name: NAME,
    headline:
      `${NAME}: ${CLIENTS} streams, change answered -> client: NATS bus ${figuresOf(n)}; ` +
      `embedded bus ${figuresOf(e)}; baseline SSE server p99 ${b.perClientMs.p99} ms; ` +
      `missing ${n.fromAnswer.missing} + ${e.fromAnswer.missing}`,
    passed: n.fromAnswer.missing === 0 && e.fromAnswer.missing === 0,
    loadAvg: loadavg().map((l) => round(l, 2)),
    clients: CLIENTS,
    changes: CHANGES,
    warmupChanges: WARMUP_CHANGES,
    intervalMs: INTERVAL_MS,
    ticket: TICKET,
    nats,
    embedded,
    baseline,
  };
}

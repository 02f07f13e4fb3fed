// Benchmark: 20 concurrent 20 MB deliveries to the local Freshdesk double.
//   note-relay  its real main.ts (DELIVERY_CONCURRENCY 20). Twenty links each get a 20 MiB PDF
//               through the gateway (intent, blocks to Azurite, then the twenty completions at
//               once) while note-relay is stopped; once the twenty upload.completed wait for its
//               durable consumer, a fresh note-relay starts and streams all twenty blobs into
//               multipart notes together. (Pausing the consumer instead would keep one process
//               warm, but a resumed consumer only delivers when the client's pull expires, up to
//               30 s later.)
//   pipe-http   the baseline: a child that pipes the same twenty blobs straight from Azurite to
//               the double, all at once: the same SDK download (conditional on the ETag), then
//               node:http with stream.pipeline; no database, no events.
//   pipe-fetch  the same pipe over fetch with a streamed body, the HTTP client note-relay uses.
// Each side runs as a fresh process per round (start-up included in its memory, not in its
// throughput). Measured for each: peak RSS of the process (VmHWM, plus VmRSS sampled every
// 20 ms) and aggregate MB/s on the double: attachment bytes stored / (last note stored - first
// note request received). Target: note-relay's peak RSS <= 200 MB. Every note must arrive once,
// on its own ticket, with the file's exact size and SHA-256.
//
// The double runs in this process (its memory is not counted as any side's); the order of the
// sides rotates from round to round. Also exports what the note benchmarks share: the upload stack
// plus the double, the tenant's Freshdesk destination, note-relay as its own process, uploads, and
// /proc memory readings.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename } from 'node:path';
import { pdfBytes, uploadWithIntent } from '@uplink/testing';
import { STREAM_NAME, type UploadIntent } from '../packages/contracts/src/index.ts';
import { type NatsEventBus, openNatsBus } from '../packages/event-bus/src/nats.ts';
import { createLogger, SecretBox } from '../packages/kit/src/index.ts';
import type { LinkDocument } from '../packages/links/src/index.ts';
import { type FreshdeskDouble, startFreshdeskDouble } from '../packages/saas-doubles/src/index.ts';
import { MongoTenantStore } from '../packages/store/src/mongo/index.ts';
import { DestinationStore } from '../packages/tenants/src/index.ts';
import { NOTE_RELAY_NODE_OPTIONS } from '../services/note-relay/src/runtime.ts';
import type { PipeJob, PipeResult } from './lib/children/note-pipe-baseline.ts';
import {
  type BenchChild,
  type BenchResult,
  cpuMeter,
  log,
  round,
  sleep,
  startChild,
  startService,
  summarizeLog,
} from './lib/common.ts';
import { startUploadStack, type UploadStack } from './upload-intents.ts';

const NAME = 'note-delivery';
const FILES = 20;
/** 20 MiB: the default per-category limit, and exactly Freshdesk's per-ticket cap. */
const FILE_BYTES = 20 * 1024 * 1024;
const ROUNDS = 5;
/** Uploads prepared at once (outside the measurement). */
const UPLOAD_PARALLEL = 4;
const RSS_SAMPLE_MS = 20;
const TARGET_PEAK_RSS_MB = 200;
const DELIVERY_TIMEOUT_MS = 120_000;
/** note-relay's durable consumer (services/note-relay/src/app.ts), paused while events queue. */
const RELAY_CONSUMER = 'note-relay';
const MB = 1e6;

// ---------------------------------------------------------------------------------------------
// What the note benchmarks share
// ---------------------------------------------------------------------------------------------

/** The double's clock (performance-based ms since the epoch), for comparing with its log. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export type NoteStack = {
  upload: UploadStack;
  /** The Freshdesk double, in this process, keeping only size and SHA-256 of attachments. */
  double: FreshdeskDouble;
  /** note-relay's main.ts as its own process on the same servers, `env` on top. */
  startNoteRelay(env?: Record<string, string>, name?: string): Promise<BenchChild>;
  /** A pending link of the bench tenant for a new ticket on the double. */
  newLink(): Promise<{ linkId: string; token: string; ticketId: number }>;
  /** A new ticket on the double (for deliveries that do not go through a link). */
  newTicket(): number;
  link(linkId: string): Promise<LinkDocument>;
  stop(): Promise<void>;
};

export async function startNoteStack(run: string, db: string): Promise<NoteStack> {
  const upload = await startUploadStack(run, db);
  const children: BenchChild[] = [];
  let double: FreshdeskDouble | undefined;
  const stop = async () => {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    await double?.stop().catch(() => undefined);
    await upload.stop();
  };
  try {
    double = await startFreshdeskDouble({ retainAttachmentBytes: false });
    const secretKeys = SecretBox.generateSpec('bench');
    const configured = await new DestinationStore(
      new MongoTenantStore(upload.mongo.db),
      SecretBox.parse(secretKeys),
      { allowLoopback: true, extraHosts: ['127.0.0.1'] },
    ).update(upload.tenantId, { freshdesk: { baseUrl: double.url, apiKey: double.apiKey } }, new Date());
    if (!configured) throw new Error('the bench tenant is missing');
    const theDouble = double;
    let ticket = 70_000;
    const newTicket = () => {
      const id = ticket++;
      theDouble.addTicket({ id });
      return id;
    };
    const links = upload.links.collection;
    return {
      upload,
      double,
      async startNoteRelay(env = {}, name = 'note-relay') {
        const child = await startService(
          name,
          'note-relay',
          {
            MONGODB_URI: upload.infra.mongo.uri,
            MONGODB_DB: db,
            NATS_URL: upload.infra.nats.url,
            UPLINK_SECRET_KEYS: secretKeys,
            // The Freshdesk double listens on loopback.
            EGRESS_ALLOW_LOOPBACK: 'true',
            DESTINATION_EXTRA_HOSTS: '127.0.0.1',
            AZURE_STORAGE_CONNECTION_STRING: upload.azurite.connectionString,
            AZURE_STORAGE_CONTAINER: upload.storage.container.containerName,
            ...env,
          },
          {
            run,
            // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of note-relay there;
            // note-relay runs with the Node options it is deployed with; BENCH_NOTE_RELAY_ARGV adds more.
            execArgv: [
              ...NOTE_RELAY_NODE_OPTIONS.split(' '),
              ...(process.env.BENCH_CPU_PROF
                ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
                : []),
              ...(process.env.BENCH_NOTE_RELAY_ARGV?.split(' ').filter(Boolean) ?? []),
            ],
          },
        );
        children.push(child);
        return child;
      },
      async newLink() {
        const ticketId = newTicket();
        const { link, token } = await upload.links.create({
          tenantId: upload.tenantId,
          ticket: { provider: 'freshdesk', id: String(ticketId) },
          contextMessage: 'Could you send the signed statement?',
          validityHours: 2,
          now: new Date(),
        });
        return { linkId: link._id, token, ticketId };
      },
      newTicket,
      async link(linkId) {
        const link = await links.findOne({ _id: linkId }, { projection: { outbox: 0 } });
        if (!link) throw new Error(`no link ${linkId}`);
        return link;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A valid PDF of exactly `size` bytes whose padding carries `tag`, so every file has its own
 * SHA-256.
 */
export function taggedPdf(size: number, tag: string): Uint8Array {
  const bytes = pdfBytes(size - pdfBytes(0).length);
  if (bytes.length !== size) throw new Error(`test file has ${bytes.length} bytes, not ${size}`);
  bytes.set(new TextEncoder().encode(` ${tag} `), 64);
  return bytes;
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export type PreparedUpload = { linkId: string; ticketId: number; uploadId: string; completeUrl: string };

/** The intent and the blob upload as the page does them, for a fresh link; not yet completed. */
export async function prepareUpload(
  stack: NoteStack,
  bytes: Uint8Array,
  fileName: string,
): Promise<PreparedUpload> {
  const { linkId, token, ticketId } = await stack.newLink();
  const base = `${stack.upload.gateway.url}/u/${token}/uploads`;
  const response = await fetch(base, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fileName, contentType: 'application/pdf', size: bytes.length, kind: 'file' }),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`intent answered ${response.status}: ${text.slice(0, 300)}`);
  const intent = JSON.parse(text) as UploadIntent;
  await uploadWithIntent(intent, bytes);
  return { linkId, ticketId, uploadId: intent.uploadId, completeUrl: `${base}/${intent.uploadId}/complete` };
}

/** The completion; resolves when its 200 answer has been read, with that moment (epochMs). */
export async function complete(upload: PreparedUpload): Promise<number> {
  const response = await fetch(upload.completeUrl, { method: 'POST' });
  const text = await response.text();
  const at = epochMs();
  if (response.status !== 200 || (JSON.parse(text) as { status?: unknown }).status !== 'received') {
    throw new Error(`completion answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return at;
}

/**
 * A link after its note: a problem when it did not end `delivered`; an anomaly when it did, but
 * not on one clean attempt. On FerretDB (1.24, PostgreSQL) an update racing another on the same
 * document can be lost: the gateway's outbox clean-up (`$pull`) racing note-relay's claim
 * (`$set` lease, `$inc` attempts) leaves a delivered link without its claim's fields.
 */
export function checkLink(link: LinkDocument): { problem?: string; anomaly?: string } {
  if (link.status !== 'delivered') {
    return { problem: `link ${link._id} ended ${link.status}, delivery ${JSON.stringify(link.delivery)}` };
  }
  const attempts = link.delivery?.attempts;
  if (attempts === 1 && link.delivery?.leaseUntil !== undefined) return {};
  return {
    anomaly:
      attempts === undefined
        ? `link ${link._id} delivered, but its claim's fields are gone (a concurrent update overwrote them): ${JSON.stringify(link.delivery)}`
        : `link ${link._id} delivered after ${attempts} attempts`,
  };
}

// /proc memory readings, in MB (10^6 bytes).

function statusMB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? (Number(match[1]) * 1024) / MB : undefined;
  } catch {
    return undefined;
  }
}

export const rssMB = (pid: number): number | undefined => statusMB(pid, 'VmRSS');

/**
 * Samples a process's RSS every `everyMs` until `stop()`, which also reads its high-water mark
 * (VmHWM): the peak of the process's whole life, which no sampling can miss.
 */
export function rssWindow(pid: number, everyMs = RSS_SAMPLE_MS) {
  const samples: number[] = [];
  const take = () => {
    const mb = rssMB(pid);
    if (mb !== undefined) samples.push(mb);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      const sampledPeak = Math.max(...samples);
      const hwm = statusMB(pid, 'VmHWM') ?? Number.NaN;
      return {
        /** The process's true peak so far (VmHWM). */
        peakMB: round(Math.max(hwm, sampledPeak), 1),
        sampledPeakMB: round(sampledPeak, 1),
        startMB: round(samples[0] ?? Number.NaN, 1),
        endMB: round(samples.at(-1) ?? Number.NaN, 1),
        samples: samples.length,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

type Side = 'note-relay' | 'pipe-http' | 'pipe-fetch';
const SIDES: readonly Side[] = ['note-relay', 'pipe-http', 'pipe-fetch'];
type Expected = { ticketId: number; size: number; sha256: string };

type SideFigures = {
  side: Side;
  round: number;
  mbPerSec: number;
  /** First note request received -> last note stored, on the double. */
  windowMs: number;
  bytes: number;
  /** Most note requests the double had in progress at one moment. */
  maxConcurrent: number;
  /** First note request received -> last one received. */
  startSpreadMs: number;
  rss: ReturnType<ReturnType<typeof rssWindow>['stop']>;
  cpuMs: Record<string, number>;
  problems: string[];
  /** note-relay only: delivered links whose bookkeeping is off (see checkLink). */
  anomalies?: string[];
  /** note-relay only: process spawned (twenty events waiting) -> first note request received. */
  startToFirstRequestMs?: number;
  /** note-relay only: the twenty completions, fired at once, all answered (before the start). */
  completionsMs?: number;
};

/** Throughput, concurrency and correctness of one side's notes, from the double's records. */
function onDouble(double: FreshdeskDouble, expected: readonly Expected[]) {
  const tickets = new Set(expected.map((e) => e.ticketId));
  const posts = double.requests.filter(
    (r) => r.method === 'POST' && r.ticketId !== null && tickets.has(r.ticketId),
  );
  const problems: string[] = [];
  let bytes = 0;
  let lastStored = 0;
  for (const e of expected) {
    const notes = double.notes(e.ticketId);
    const requests = posts.filter((r) => r.ticketId === e.ticketId).length;
    if (notes.length !== 1 || requests !== 1) {
      problems.push(`ticket ${e.ticketId}: ${notes.length} notes from ${requests} requests`);
    }
    for (const note of notes) {
      lastStored = Math.max(lastStored, note.storedAt);
      for (const a of note.attachments) bytes += a.size;
      const [a] = note.attachments;
      if (note.attachments.length !== 1 || a?.size !== e.size || a.sha256 !== e.sha256) {
        problems.push(
          `ticket ${e.ticketId}: attachments ${JSON.stringify(note.attachments.map((x) => [x.size, x.sha256]))}, ` +
            `expected one of ${e.size} bytes, sha256 ${e.sha256}`,
        );
      }
    }
  }
  const firstReceived = Math.min(...posts.map((r) => r.receivedAt));
  const startSpreadMs = round(Math.max(...posts.map((r) => r.receivedAt)) - firstReceived, 1);
  const edges = posts.flatMap((r) => [
    [r.receivedAt, 1],
    [r.finishedAt ?? Number.POSITIVE_INFINITY, -1],
  ]);
  edges.sort((x, y) => (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number));
  let inFlight = 0;
  let maxConcurrent = 0;
  for (const [, d] of edges) {
    inFlight += d as number;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
  }
  const windowMs = lastStored - firstReceived;
  return {
    bytes,
    windowMs: round(windowMs, 1),
    mbPerSec: round(bytes / MB / (windowMs / 1000), 1),
    maxConcurrent,
    startSpreadMs,
    firstReceived,
    problems,
  };
}

async function waitForNotes(double: FreshdeskDouble, expected: readonly Expected[]): Promise<void> {
  await Promise.all(expected.map((e) => double.waitForNotes(e.ticketId, 1, DELIVERY_TIMEOUT_MS)));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function runNoteDelivery(): Promise<BenchResult> {
  const started = Date.now();
  const stack = await startNoteStack(NAME, 'bench_note_delivery');
  let baseline: BenchChild | undefined;
  let bus: NatsEventBus | undefined;
  try {
    const natsBus = await openNatsBus(
      stack.upload.infra.nats.url,
      'bench-note-delivery',
      createLogger({ service: 'bench', level: 'warn' }),
    );
    bus = natsBus;
    // note-relay runs only while it delivers (see runRelay); its first start creates the
    // consumer and shows its idle memory.
    const relayLogs: string[] = [];
    const noteRelayHarness = async (name: string) => {
      const child = await stack.startNoteRelay({ DELIVERY_CONCURRENCY: String(FILES) }, name);
      relayLogs.push(child.logFile);
      return child;
    };
    const idleRelay = await noteRelayHarness('note-relay-idle');
    await sleep(2_000);
    const relayIdleMB = round(rssMB(idleRelay.pid) ?? Number.NaN, 1);
    await idleRelay.stop();
    // The baseline likewise: a fresh process per run, and one left idle to show its memory.
    const baselineLogs: string[] = [];
    const startBaseline = async (name: string, client: 'http' | 'fetch') => {
      const child = await startChild(
        name,
        'note-pipe-baseline.ts',
        {
          PIPE_CLIENT: client,
          AZURE_STORAGE_CONNECTION_STRING: stack.upload.azurite.connectionString,
          AZURE_STORAGE_CONTAINER: stack.upload.storage.container.containerName,
          FRESHDESK_URL: stack.double.url,
          FRESHDESK_API_KEY: stack.double.apiKey,
        },
        { run: NAME },
      );
      baseline = child;
      baselineLogs.push(child.logFile);
      return child;
    };
    const idleBaseline = await startBaseline('pipe-idle', 'http');
    await sleep(2_000);
    const baselineIdleMB = round(rssMB(idleBaseline.pid) ?? Number.NaN, 1);
    await idleBaseline.stop();
    log(
      NAME,
      `servers: ${stack.upload.infra.mongo.kind}, nats, Azurite; upload-gateway pid ${stack.upload.gateway.child.pid}, ` +
        `idle RSS of note-relay ${relayIdleMB} MB, of the pipe baseline ${baselineIdleMB} MB; ` +
        `Freshdesk double in pid ${process.pid}; ` +
        `${FILES} x ${FILE_BYTES} bytes per side per round`,
    );
    const loadBefore = loadavg();
    const runs: SideFigures[] = [];

    for (let r = 1; r <= ROUNDS; r++) {
      // Outside the measurement: twenty uploads through the gateway, not yet completed.
      const expected: Array<Expected & PreparedUpload> = await mapLimit(
        Array.from({ length: FILES }, (_, i) => i),
        UPLOAD_PARALLEL,
        async (i) => {
          const bytes = taggedPdf(FILE_BYTES, `round ${r} file ${i} ${Date.now()}`);
          const prepared = await prepareUpload(stack, bytes, `statement-${r}-${i}.pdf`);
          return { ...prepared, size: bytes.length, sha256: sha256(bytes) };
        },
      );
      const uploads = stack.upload.mongo.db.collection<{ _id: string; blobName: string }>('uploads');
      const blobs = await Promise.all(
        expected.map(async (e) => {
          const doc = await uploads.findOne({ _id: e.uploadId });
          if (!doc) throw new Error(`no upload record ${e.uploadId}`);
          const { etag } = await stack.upload.storage.container.getBlobClient(doc.blobName).getProperties();
          return { blobName: doc.blobName, etag: etag as string };
        }),
      );

      const runRelay = async (): Promise<SideFigures> => {
        // The completions publish their twenty events while note-relay is stopped; a fresh
        // note-relay then finds all twenty waiting and delivers them together.
        const fired = epochMs();
        await Promise.all(expected.map((e) => complete(e)));
        const completed = epochMs();
        for (const deadline = Date.now() + DELIVERY_TIMEOUT_MS; ; await sleep(20)) {
          const info = await natsBus.jsm.consumers.info(STREAM_NAME, RELAY_CONSUMER);
          if (info.num_pending >= FILES) break;
          if (Date.now() > deadline) throw new Error(`only ${info.num_pending} upload.completed pending`);
        }
        const meter = stack.upload.meter();
        const spawned = epochMs();
        const relay = await noteRelayHarness(`note-relay-${r}`);
        // A fresh process: its high-water mark covers its whole life, start-up included.
        const rss = rssWindow(relay.pid);
        const relayMeter = cpuMeter({ 'note-relay': relay.pid });
        await waitForNotes(stack.double, expected);
        const cpuMs = { ...meter.since(), ...relayMeter.since() };
        const memory = rss.stop();
        const figures = onDouble(stack.double, expected);
        // The bookkeeping after the note: every link delivered, on its first attempt.
        const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
        let links = await Promise.all(expected.map((e) => stack.link(e.linkId)));
        while (links.some((l) => l.status === 'received') && Date.now() < deadline) {
          await sleep(100);
          links = await Promise.all(expected.map((e) => stack.link(e.linkId)));
        }
        await relay.stop();
        const anomalies: string[] = [];
        for (const l of links) {
          const { problem, anomaly } = checkLink(l);
          if (problem) figures.problems.push(problem);
          if (anomaly) anomalies.push(anomaly);
        }
        return {
          side: 'note-relay',
          round: r,
          ...figures,
          rss: memory,
          cpuMs,
          anomalies,
          startToFirstRequestMs: round(figures.firstReceived - spawned, 1),
          completionsMs: round(completed - fired, 1),
        };
      };

      const runPipe = async (side: 'pipe-http' | 'pipe-fetch'): Promise<SideFigures> => {
        const jobs: PipeJob[] = blobs.map((blob, i) => ({
          ...blob,
          fileName: `statement-${r}-${i}.pdf`,
          contentType: 'application/pdf',
          ticketId: stack.newTicket(),
        }));
        const meter = stack.upload.meter();
        const child = await startBaseline(`${side}-${r}`, side === 'pipe-http' ? 'http' : 'fetch');
        const rss = rssWindow(child.pid);
        const childMeter = cpuMeter({ [side]: child.pid });
        const response = await fetch(`http://127.0.0.1:${child.ready.port}/run`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jobs }),
        });
        const text = await response.text();
        const cpuMs = { ...meter.since(), ...childMeter.since() };
        const memory = rss.stop();
        await child.stop();
        if (!response.ok) throw new Error(`${side} answered ${response.status}: ${text.slice(0, 300)}`);
        const { results } = JSON.parse(text) as { results: PipeResult[] };
        const mine = expected.map((e, i) => ({ ...e, ticketId: (jobs[i] as PipeJob).ticketId }));
        const figures = onDouble(stack.double, mine);
        for (const result of results.filter((x) => x.status !== 201)) {
          figures.problems.push(`ticket ${result.ticketId}: ${result.status} ${result.error}`);
        }
        return { side, round: r, ...figures, rss: memory, cpuMs };
      };

      // Rotate which side goes first.
      const order = [...SIDES.slice((r - 1) % SIDES.length), ...SIDES.slice(0, (r - 1) % SIDES.length)];
      for (const side of order) {
        const figures = side === 'note-relay' ? await runRelay() : await runPipe(side);
        runs.push(figures);
        log(
          NAME,
          `round ${r} ${figures.side.padEnd(10)} ${figures.mbPerSec} MB/s over ${figures.windowMs} ms ` +
            `(${figures.maxConcurrent} at once, started within ${figures.startSpreadMs} ms)  peak RSS ${figures.rss.peakMB} MB ` +
            `(sampled ${figures.rss.sampledPeakMB}, start ${figures.rss.startMB})` +
            (figures.startToFirstRequestMs === undefined
              ? ''
              : `  start->first request ${figures.startToFirstRequestMs} ms (completions ${figures.completionsMs} ms)`) +
            `  cpu ms ${JSON.stringify(Object.fromEntries(Object.entries(figures.cpuMs).map(([k, v]) => [k, Math.round(v)])))}` +
            (figures.problems.length > 0 ? `  PROBLEMS ${figures.problems.join('; ')}` : '') +
            (figures.anomalies?.length ? `  ANOMALIES ${figures.anomalies.join('; ')}` : ''),
        );
        await sleep(500);
      }
      await Promise.all(blobs.map((b) => stack.upload.storage.delete(b.blobName)));
    }

    const of = (side: Side) => runs.filter((x) => x.side === side);
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1
        ? (sorted[mid] as number)
        : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    };
    const summary = (side: Side) => ({
      mbPerSecMedian: round(median(of(side).map((x) => x.mbPerSec)), 1),
      mbPerSecRounds: of(side).map((x) => x.mbPerSec),
      peakRssMB: round(Math.max(...of(side).map((x) => x.rss.peakMB)), 1),
      peakRssRounds: of(side).map((x) => x.rss.peakMB),
      minConcurrent: Math.min(...of(side).map((x) => x.maxConcurrent)),
      cpuMsPerRound: Math.round(median(of(side).map((x) => x.cpuMs[side] ?? 0))),
    });
    const relayFigures = summary('note-relay');
    const httpFigures = summary('pipe-http');
    const fetchFigures = summary('pipe-fetch');
    const ratio = round(relayFigures.mbPerSecMedian / httpFigures.mbPerSecMedian, 3);
    const ratioToFetchPipe = round(relayFigures.mbPerSecMedian / fetchFigures.mbPerSecMedian, 3);
    const problems = runs.flatMap((x) => x.problems.map((p) => `round ${x.round} ${x.side}: ${p}`));
    const anomalies = runs.flatMap((x) => (x.anomalies ?? []).map((a) => `round ${x.round}: ${a}`));
    const rssMet = relayFigures.peakRssMB <= TARGET_PEAK_RSS_MB;
    const notes = runs.length * FILES;
    const headline =
      `note-delivery: note-relay ${relayFigures.mbPerSecMedian} MB/s vs straight pipe ${httpFigures.mbPerSecMedian} MB/s ` +
      `(node:http) = ${ratio.toFixed(2)}x, ${fetchFigures.mbPerSecMedian} MB/s (fetch) = ${ratioToFetchPipe.toFixed(2)}x; ` +
      `note-relay peak RSS ${relayFigures.peakRssMB} MB (target <= ${TARGET_PEAK_RSS_MB}) ${rssMet ? 'MET' : 'MISSED'}, ` +
      `pipes ${httpFigures.peakRssMB} / ${fetchFigures.peakRssMB} MB (idle ${relayIdleMB} / ${baselineIdleMB} MB); ` +
      `${FILES} x 20 MiB at once, ${ROUNDS} rounds; ${notes} notes checked, ${problems.length} problems` +
      (problems.length > 0 ? `: ${problems.slice(0, 3).join('; ')}` : '') +
      (anomalies.length > 0 ? `; ${anomalies.length} links with lost claim bookkeeping` : '');
    return {
      name: NAME,
      headline,
      passed: rssMet && problems.length === 0,
      target: { peakRssMB: TARGET_PEAK_RSS_MB },
      setup: {
        mongoKind: stack.upload.infra.mongo.kind,
        mongoBackend: stack.upload.infra.mongo.backend ?? null,
        files: FILES,
        fileBytes: FILE_BYTES,
        rounds: ROUNDS,
        deliveryConcurrency: FILES,
        rssSampleMs: RSS_SAMPLE_MS,
        mb: '10^6 bytes',
        servers:
          'note-relay main.ts and the pipes each a fresh child process per round; the Freshdesk double ' +
          '(retainAttachmentBytes: false) in the parent',
        loadAverageBefore: loadBefore.map((l) => round(l, 2)),
        loadAverageAfter: loadavg().map((l) => round(l, 2)),
      },
      ratio,
      ratioToFetchPipe,
      noteRelay: { ...relayFigures, idleRssMB: relayIdleMB },
      pipeHttp: { ...httpFigures, idleRssMB: baselineIdleMB },
      pipeFetch: { ...fetchFigures, idleRssMB: baselineIdleMB },
      runs,
      problems,
      anomalies,
      logs: {
        'note-relay': Object.fromEntries(relayLogs.map((file) => [basename(file), summarizeLog(file)])),
        pipes: Object.fromEntries(baselineLogs.map((file) => [basename(file), summarizeLog(file)])),
        'upload-gateway': summarizeLog(stack.upload.gateway.child.logFile),
      },
      elapsedSeconds: round((Date.now() - started) / 1000, 1),
    };
  } finally {
    if (bus) await bus.close().catch(() => undefined);
    await baseline?.stop().catch(() => undefined);
    await stack.stop();
  }
}

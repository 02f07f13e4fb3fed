// Benchmark: one 20 MB upload through the whole flow against a direct PUT of the same bytes.
//   flow        as the upload page did before it paced its blocks to the link: the intent from
//               the gateway, staged blocks of the default UPLOAD_BLOCK_BYTES straight to Azurite
//               with the intent's SAS, three Put Block at a time, then Put Block List, then the
//               completion, which verifies the blob and moves the link to received.
//   sequential  the same, one block after the other (uploadWithIntent, as the tests upload).
//   one-put     the same flow through a second gateway whose UPLOAD_BLOCK_BYTES and
//               UPLOAD_SINGLE_PUT_MAX_BYTES exceed the file, so the intent asks for one Put Blob: the direct PUT plus the gateway's
//               two calls, which isolates what the gateway itself adds.
//   direct      one Put Blob of the same bytes to the same Azurite with a create-only SAS, over
//               the same HTTP client (fetch).
// Target: median flow <= 1.2 x median direct PUT (the gateway is not in the data path).
//
// After warm-up rounds, each round runs the four once, the order rotating from round to round.
// Each flow takes a fresh pending link (a link takes one file) and must end with the link
// received, the blob's size right, and one upload.completed event.

import { loadavg } from 'node:os';
import { pdfBytes, put, uploadWithIntent } from '@uplink/testing';
import { Subjects, type UploadIntent } from '../packages/contracts/src/index.ts';
import { openNatsBus } from '../packages/event-bus/src/nats.ts';
import { createLogger } from '../packages/kit/src/index.ts';
import { type BenchResult, log, median, postJson, readSubject, round, summarizeLog } from './lib/common.ts';
import { startUploadStack, type UploadStack } from './upload-intents.ts';

const NAME = 'upload-flow';
/** 20 MB, the default per-category limit: five staged blocks of the default 4 MiB. */
const FILE_BYTES = 20 * 1024 * 1024;
/** What the page ran at once before its pacing (services/upload-gateway/client/src/blocks.ts). */
const PAGE_PARALLEL_BLOCKS = 3;
const WARMUP_ROUNDS = 2;
const ROUNDS = 15;
/** The one-put gateway's UPLOAD_BLOCK_BYTES and UPLOAD_SINGLE_PUT_MAX_BYTES: above the file size. */
const ONE_PUT_BLOCK_BYTES = 32 * 1024 * 1024;
const TARGET_RATIO = 1.2;
const EVENT_TIMEOUT_MS = 30_000;

const TARGETS = ['direct', 'flow', 'sequential', 'one-put'] as const;
type Target = (typeof TARGETS)[number];
type Phases = { intent: number; upload: number; complete: number };

type RunFigures = {
  target: Target;
  round: number;
  totalMs: number;
  /** Flows only. */
  phasesMs?: Phases;
  /** CPU ms each process used during the run. */
  cpuMs: Record<string, number>;
};

/** The page's way with staged blocks: a few Put Block in flight, then Put Block List. */
async function uploadLikePage(intent: UploadIntent, bytes: Uint8Array): Promise<void> {
  const size = intent.blockBytes;
  if (size === null) return uploadWithIntent(intent, bytes);
  const ids = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
    btoa(`block-${String(i).padStart(6, '0')}`),
  );
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ids.length; i = next++) {
      const blockUrl = `${intent.uploadUrl}&comp=block&blockid=${encodeURIComponent(ids[i] as string)}`;
      await put(blockUrl, bytes.subarray(i * size, (i + 1) * size), {});
    }
  };
  await Promise.all(Array.from({ length: Math.min(PAGE_PARALLEL_BLOCKS, ids.length) }, worker));
  const list = ids.map((id) => `<Latest>${id}</Latest>`).join('');
  const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>${list}</BlockList>`;
  await put(`${intent.uploadUrl}&comp=blocklist`, new TextEncoder().encode(xml), intent.headers);
}

/** Intent, upload, completion for one file on a fresh link. */
async function flowOnce(
  stack: UploadStack,
  gatewayUrl: string,
  bytes: Uint8Array,
  upload: (intent: UploadIntent, bytes: Uint8Array) => Promise<void>,
) {
  const { linkId, token } = await stack.newLink();
  const base = `${gatewayUrl}/u/${token}/uploads`;
  const t0 = performance.now();
  const intent = (await postJson(
    base,
    { fileName: 'statement.pdf', contentType: 'application/pdf', size: bytes.length, kind: 'file' },
    201,
  )) as UploadIntent;
  const t1 = performance.now();
  await upload(intent, bytes);
  const t2 = performance.now();
  const receipt = (await postJson(`${base}/${intent.uploadId}/complete`, undefined, 200)) as {
    status?: unknown;
  };
  const t3 = performance.now();
  if (receipt.status !== 'received') throw new Error(`completion answered ${JSON.stringify(receipt)}`);
  const phasesMs: Phases = {
    intent: round(t1 - t0, 1),
    upload: round(t2 - t1, 1),
    complete: round(t3 - t2, 1),
  };
  return { linkId, blockBytes: intent.blockBytes, totalMs: t3 - t0, phasesMs };
}

/** One Put Blob of the same bytes with a create-only SAS for a new blob. */
async function directOnce(stack: UploadStack, bytes: Uint8Array, n: number) {
  const blobName = `bench-direct/${n}-${Date.now().toString(36)}`;
  const sas = await stack.storage.uploadUrl(blobName, false, new Date());
  const t0 = performance.now();
  await put(sas.url, bytes, { 'x-ms-blob-type': 'BlockBlob', 'x-ms-blob-content-type': 'application/pdf' });
  return { blobName, totalMs: performance.now() - t0 };
}

export async function runUploadFlow(): Promise<BenchResult> {
  const started = Date.now();
  const stack = await startUploadStack(NAME, 'bench_upload_flow');
  try {
    const onePut = await stack.uploadGatewayHarness('upload-gateway-one-put', {
      UPLOAD_BLOCK_BYTES: String(ONE_PUT_BLOCK_BYTES),
      UPLOAD_SINGLE_PUT_MAX_BYTES: String(ONE_PUT_BLOCK_BYTES),
    });
    const loadBefore = loadavg();
    const bytes = pdfBytes(FILE_BYTES - pdfBytes(0).length);
    if (bytes.length !== FILE_BYTES) throw new Error(`test file has ${bytes.length} bytes`);
    log(
      NAME,
      `servers: ${stack.infra.mongo.kind}, nats at ${stack.infra.nats.url}, Azurite at ` +
        `${stack.azurite.blobEndpoint}; upload-gateways pid ${stack.gateway.child.pid} and ${onePut.child.pid}; ${FILE_BYTES} bytes per upload`,
    );

    const runs: RunFigures[] = [];
    const flowLinks: string[] = [];
    const problems: string[] = [];
    let blockBytes: number | null = null;
    for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
      const order = TARGETS.map((_, i) => TARGETS[(i + r) % TARGETS.length] as Target);
      for (const target of order) {
        const meter = stack.meter();
        let figures: Omit<RunFigures, 'cpuMs'>;
        let cpu: Record<string, number>;
        let blobName: string;
        if (target === 'direct') {
          const direct = await directOnce(stack, bytes, r);
          cpu = meter.since();
          figures = { target, round: r, totalMs: round(direct.totalMs, 1) };
          blobName = direct.blobName;
        } else {
          const flow =
            target === 'one-put'
              ? await flowOnce(stack, onePut.url, bytes, uploadWithIntent)
              : await flowOnce(
                  stack,
                  stack.gateway.url,
                  bytes,
                  target === 'flow' ? uploadLikePage : uploadWithIntent,
                );
          cpu = meter.since();
          if (target === 'flow') blockBytes = flow.blockBytes;
          else if (target === 'one-put' && flow.blockBytes !== null) {
            problems.push(`one-put ${r}: the intent asked for blocks of ${flow.blockBytes}`);
          }
          flowLinks.push(flow.linkId);
          figures = { target, round: r, totalMs: round(flow.totalMs, 1), phasesMs: flow.phasesMs };
          const link = await stack.links.get(stack.tenantId, flow.linkId);
          const file = link?.files?.[0];
          if (link?.status !== 'received' || file?.size !== FILE_BYTES) {
            problems.push(`${target} ${r}: link ${flow.linkId} is ${link?.status}, ${file?.size} bytes`);
          }
          blobName = file?.blobName ?? '';
        }
        const facts = await stack.storage.facts(blobName);
        if (facts?.size !== FILE_BYTES) problems.push(`${target} ${r}: blob has ${facts?.size} bytes`);
        // Keeps in-memory Azurite from growing over the runs; not part of the timing.
        await stack.storage.delete(blobName);
        if (r < WARMUP_ROUNDS) continue;
        figures.round = r - WARMUP_ROUNDS + 1;
        runs.push({ ...figures, cpuMs: cpu });
        log(
          NAME,
          `round ${figures.round} ${target.padEnd(10)} ${figures.totalMs} ms` +
            (figures.phasesMs ? ` ${JSON.stringify(figures.phasesMs)}` : '') +
            `  cpu ms ${JSON.stringify(cpu)}`,
        );
      }
    }

    // Each completed flow's upload.completed event must be in the stream, exactly once.
    const logger = createLogger({ service: 'bench', level: 'warn' });
    const bus = await openNatsBus(stack.infra.nats.url, 'bench-check', logger);
    const expected = new Set(flowLinks);
    const seen = new Map<string, number>();
    try {
      await readSubject(
        bus,
        Subjects.uploadCompleted,
        (msg) => {
          const { linkId } = msg.json() as { linkId: string };
          seen.set(linkId, (seen.get(linkId) ?? 0) + 1);
        },
        () => [...expected].every((id) => seen.has(id)),
        Date.now() + EVENT_TIMEOUT_MS,
      );
    } finally {
      await bus.close();
    }
    const events = {
      flows: expected.size,
      withEvent: [...expected].filter((id) => seen.has(id)).length,
      duplicates: [...seen.values()].filter((n) => n > 1).length,
    };
    log(NAME, `upload.completed ${JSON.stringify(events)}; problems ${problems.length}`);

    const summarize = (t: Target) => {
      const rs = runs.filter((r) => r.target === t);
      const totals = rs.map((r) => r.totalMs);
      const cpu: Record<string, number> = {};
      for (const r of rs) for (const [name, ms] of Object.entries(r.cpuMs)) cpu[name] = (cpu[name] ?? 0) + ms;
      const phase = (key: keyof Phases) => median(rs.map((r) => r.phasesMs?.[key] ?? 0));
      return {
        medianMs: median(totals),
        minMs: Math.min(...totals),
        maxMs: Math.max(...totals),
        mbPerSec: round(FILE_BYTES / 1e6 / (median(totals) / 1000), 1),
        ...(t === 'direct'
          ? {}
          : {
              medianPhasesMs: {
                intent: phase('intent'),
                upload: phase('upload'),
                complete: phase('complete'),
              },
            }),
        cpuMsPerRun: Object.fromEntries(
          Object.entries(cpu).map(([name, ms]) => [name, round(ms / Math.max(1, rs.length), 1)]),
        ),
        runsMs: totals,
      };
    };
    const direct = summarize('direct');
    const flow = summarize('flow');
    const sequential = summarize('sequential');
    const oneFlowPut = summarize('one-put');
    const ratio = round(flow.medianMs / direct.medianMs, 3);
    const sequentialRatio = round(sequential.medianMs / direct.medianMs, 3);
    const onePutRatio = round(oneFlowPut.medianMs / direct.medianMs, 3);
    const clean = problems.length === 0 && events.withEvent === events.flows && events.duplicates === 0;
    const passed = ratio <= TARGET_RATIO && clean;
    const phases = flow.medianPhasesMs;
    const headline =
      `upload-flow: 20 MB flow median ${flow.medianMs} ms vs direct PUT ${direct.medianMs} ms = ` +
      `${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}) ${ratio <= TARGET_RATIO ? 'MET' : 'MISSED'}; ` +
      `intent/upload/complete ${phases?.intent}/${phases?.upload}/${phases?.complete} ms; ` +
      `blocks one at a time ${sequential.medianMs} ms = ${sequentialRatio.toFixed(2)}x; ` +
      `one Put Blob through the gateway ${oneFlowPut.medianMs} ms = ${onePutRatio.toFixed(2)}x; ` +
      `upload.completed ${events.withEvent}/${events.flows}; problems ${problems.length}`;
    return {
      name: NAME,
      headline,
      passed,
      target: { ratio: TARGET_RATIO },
      setup: {
        mongoKind: stack.infra.mongo.kind,
        mongoBackend: stack.infra.mongo.backend ?? null,
        fileBytes: FILE_BYTES,
        blockBytes,
        flow: `${PAGE_PARALLEL_BLOCKS} Put Block at a time, then Put Block List (as the page)`,
        sequential: 'one Put Block after the other (packages/testing/src/blob-upload.ts)',
        onePut: `a second gateway with UPLOAD_BLOCK_BYTES=UPLOAD_SINGLE_PUT_MAX_BYTES=${ONE_PUT_BLOCK_BYTES}: one Put Blob`,
        direct: 'one Put Blob with a create-only SAS, same fetch client',
        azurite: 'in memory; each blob deleted after its run, outside the timing',
        warmupRounds: WARMUP_ROUNDS,
        rounds: ROUNDS,
        order: 'direct, flow, sequential, one-put, rotating by one each round',
        loadAverageBefore: loadBefore.map((l) => round(l, 2)),
        loadAverageAfter: loadavg().map((l) => round(l, 2)),
      },
      ratio,
      sequentialRatio,
      onePutRatio,
      direct,
      flow,
      sequential,
      onePut: oneFlowPut,
      runs,
      events,
      problems,
      logs: {
        'upload-gateway': summarizeLog(stack.gateway.child.logFile),
        'upload-gateway-one-put': summarizeLog(onePut.child.logFile),
      },
      elapsedSeconds: round((Date.now() - started) / 1000, 1),
    };
  } finally {
    await stack.stop();
  }
}

// Benchmark: what malware scanning adds to a 20 MB upload's completion, in one run.
//   unscanned  a gateway without CLAMAV_URL: the completion verifies the blob (inspect, server-side
//              copy, sniff) and moves the link to received.
//   scanned    a second gateway on the same servers with CLAMAV_URL pointing at a real clamd
//              (Debian's clamav-daemon, the tests' small signature database): the same, plus the
//              verified copy streamed through clamd's INSTREAM before the link is received.
// Each round uploads the same bytes once through each (the order alternating), each on a fresh
// link, and times the completion request; each must end with the link received. clamd's own
// database is tiny here: with the official one (millions of signatures) a scan takes longer.

import { startClamd } from '@uplink/dev-servers';
import { pdfBytes, uploadWithIntent } from '@uplink/testing';
import type { UploadIntent } from '../packages/contracts/src/index.ts';
import { type BenchResult, log, median, postJson, round } from './lib/common.ts';
import { startUploadStack } from './upload-intents.ts';

const NAME = 'scan';
/** 20 MB, the default per-category limit. */
const FILE_BYTES = 20 * 1024 * 1024;
const WARMUP_ROUNDS = 2;
const ROUNDS = 10;

const TARGETS = ['unscanned', 'scanned'] as const;
type Target = (typeof TARGETS)[number];

export async function runScan(): Promise<BenchResult> {
  const started = Date.now();
  log(NAME, "starting clamd with the tests' signature database");
  const clamd = await startClamd();
  const stack = await startUploadStack(NAME, 'bench_scan');
  try {
    const scanning = await stack.uploadGatewayHarness('upload-gateway-scanning', { CLAMAV_URL: clamd.url });
    const gateways: Record<Target, string> = { unscanned: stack.gateway.url, scanned: scanning.url };
    const bytes = pdfBytes(FILE_BYTES - pdfBytes(0).length);
    if (bytes.length !== FILE_BYTES) throw new Error(`test file has ${bytes.length} bytes`);
    log(
      NAME,
      `clamd at ${clamd.url}; gateways pid ${stack.gateway.child.pid} (unscanned) and ${scanning.child.pid} (scanned)`,
    );

    const completeMs: Record<Target, number[]> = { unscanned: [], scanned: [] };
    const problems: string[] = [];
    for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
      const order = r % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      for (const target of order) {
        const { linkId, token } = await stack.newLink();
        const base = `${gateways[target]}/u/${token}/uploads`;
        const intent = (await postJson(
          base,
          { fileName: 'statement.pdf', contentType: 'application/pdf', size: bytes.length, kind: 'file' },
          201,
        )) as UploadIntent;
        await uploadWithIntent(intent, bytes);
        const t0 = performance.now();
        await postJson(`${base}/${intent.uploadId}/complete`, undefined, 200);
        const ms = round(performance.now() - t0, 1);
        const link = await stack.links.get(stack.tenantId, linkId);
        const file = link?.files?.[0];
        if (link?.status !== 'received' || file?.size !== FILE_BYTES) {
          problems.push(`${target} ${r}: link ${linkId} is ${link?.status}, ${file?.size} bytes`);
        }
        // Keeps in-memory Azurite from growing over the runs; not part of the timing.
        if (file) await stack.storage.delete(file.blobName);
        if (r < WARMUP_ROUNDS) continue;
        completeMs[target].push(ms);
        log(NAME, `round ${r - WARMUP_ROUNDS + 1} ${target.padEnd(9)} completion ${ms} ms`);
      }
    }

    const unscanned = median(completeMs.unscanned);
    const scanned = median(completeMs.scanned);
    const addedMs = round(scanned - unscanned, 1);
    const headline =
      `20 MB completion, median of ${ROUNDS}: ${unscanned} ms unscanned, ${scanned} ms scanned by clamd ` +
      `(+${addedMs} ms, ${round(FILE_BYTES / 1e6 / (Math.max(addedMs, 1) / 1000), 0)} MB/s through the scanner)` +
      (problems.length > 0 ? `; ${problems.length} problems` : '');
    return {
      name: NAME,
      headline,
      passed: problems.length === 0,
      fileBytes: FILE_BYTES,
      rounds: ROUNDS,
      completion: {
        unscanned: { medianMs: unscanned, runsMs: completeMs.unscanned },
        scanned: { medianMs: scanned, runsMs: completeMs.scanned },
        addedByScanningMs: addedMs,
      },
      problems,
      durationSec: round((Date.now() - started) / 1000, 1),
    };
  } finally {
    await stack.stop();
    await clamd.stop();
  }
}

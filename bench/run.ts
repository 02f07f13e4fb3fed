// Runs the benchmarks in sequence (or the ones named on the command line), prints a summary and
// writes each result to bench/results/<name>.json.
//
//   npm run bench                      all of them
//   npm run bench -- link-creation     one
//   npm run bench -- embedded          a group: the benchmarks of the one-process default
//   npm run bench -- resumable-upload --quick   a benchmark's smaller setting, where it has one
//   npm run bench -- resumable-upload --link=clean   a benchmark's own option (`--name=value`: a
//                                       bare word would name a benchmark)
import { runCrashDurability } from './crash-durability.ts';
import { runEmbedded } from './embedded.ts';
import { runExpiryPrecision } from './expiry-precision.ts';
import { type BenchResult, machine, writeResult } from './lib/common.ts';
import { runLinkCreation } from './link-creation.ts';
import { runNoteDelivery } from './note-delivery.ts';
import { runNoteLatency } from './note-latency.ts';
import { runResumableUpload } from './resumable-upload.ts';
import { runScan } from './scan.ts';
import { runServiceStart } from './service-start.ts';
import { runSseFanout } from './sse-fanout.ts';
import { runStartTime } from './start-time.ts';
import { runUploadFlow } from './upload-flow.ts';
import { runUploadIntents } from './upload-intents.ts';

const BENCHMARKS: Record<string, () => Promise<BenchResult>> = {
  'link-creation': runLinkCreation,
  'expiry-precision': runExpiryPrecision,
  'upload-intents': runUploadIntents,
  'upload-flow': runUploadFlow,
  'resumable-upload': runResumableUpload,
  scan: runScan,
  'note-delivery': runNoteDelivery,
  'note-latency': runNoteLatency,
  'start-time': runStartTime,
  'service-start': runServiceStart,
  'sse-fanout': runSseFanout,
  'embedded-load': runEmbedded,
  'crash-durability': runCrashDurability,
};

/** Names that run several benchmarks, in this order. */
const GROUPS: Record<string, string[]> = {
  embedded: ['embedded-load', 'crash-durability'],
};

const requested = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('-'))
  .flatMap((name) => GROUPS[name] ?? [name]);
const unknown = requested.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  const known = [...Object.keys(BENCHMARKS), ...Object.keys(GROUPS)];
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${known.join(', ')}`);
  process.exit(2);
}
const names = requested.length > 0 ? requested : Object.keys(BENCHMARKS);

const m = machine();
console.log(`bench: ${names.join(', ')} on ${m.cpus} x ${m.cpuModel}, ${m.memGiB} GiB, Node ${m.node}`);
const summary: string[] = [];
let crashed = false;
for (const name of names) {
  const run = BENCHMARKS[name] as () => Promise<BenchResult>;
  const started = Date.now();
  try {
    const result = await run();
    const file = await writeResult(result);
    summary.push(`${result.passed ? 'PASS' : 'FAIL'}  ${result.headline}\n      -> ${file}`);
  } catch (err) {
    crashed = true;
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    await writeResult({ name, headline: `${name}: crashed`, passed: false, error: message });
    summary.push(`ERROR ${name} crashed after ${((Date.now() - started) / 1000).toFixed(0)} s: ${message}`);
  }
}

console.log('\n=== benchmark summary ===');
for (const line of summary) console.log(line);
// A missed target is a result, not a failure of the run; a crash is.
process.exit(crashed ? 1 : 0);

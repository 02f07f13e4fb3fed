// Benchmark (issue 18): a 20 MiB file sent from Chromium over a phone's link, by Uplink's upload
// page code and by tus, side by side in one run.
//   uplink  the Upload class of services/upload-gateway/client/src/upload.ts (what the upload
//           page runs): the intent from a real upload-gateway, the bytes to Azurite with the
//           intent's SAS (the first block alone, then the whole file in one Put Blob where the
//           link is fast enough, else blocks), the completion; the link must end received.
//   tus     tus-js-client to @tus/server with @tus/file-store, configured as a tuned deployment
//           runs it (bench/pages/resumable-upload.ts); the stored file must have every byte.
//   put-blob  on the clean link only, a floor: Uplink's intent and completion with the file in
//           one Put Blob at once, no first block (what Azurite takes for the bytes alone).
// Both run in the same browser, on one page origin (bench/lib/children/resumable-origin.ts),
// through the same link (bench/lib/throttled-link.ts), which carries the page's calls to the
// gateway or the tus server as well as its calls to the storage:
//   phone   2 Mbit/s up shared by all connections, 50 ms added each way (100 ms round trip),
//           every connection cut after a random 1-3 MB of upload bytes (seeded per run: run n
//           of both contenders meets the same cuts);
//   clean   no throttle, no delay, no cut.
// Figures per contender and link: time to done (median of the runs that finished, in the
// page's clock from the call to the uploader's end) and until storage held the file (Uplink's
// without its completion), bytes the link carried up / file size, and
// how many runs finished before the deadline; each run's requests (intent, blocks, Put Blob,
// block list, completion) with their times, in the log and the results.
// Targets: Uplink finishes every run; on the phone link its time <= 1.1 x tus's and its bytes
// <= 1.1 x the file; on the clean link its time <= 1.1 x tus's.
//
// `--quick` (npm run bench -- resumable-upload --quick): a 6 MiB file, two runs per contender.
// `--link=clean` or `--link=phone`: that link only (the clean one takes seconds, the phone's
// a quarter of an hour).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pdfBytes } from '@uplink/testing';
import { type Browser, chromium } from 'playwright-core';
import { freePort, launchChromium } from '../packages/dev-servers/src/index.ts';
import { type BenchResult, benchDir, log, median, percentile, round, startChild } from './lib/common.ts';
import { CLEAN_LINK, type LinkProfile, ThrottledLink } from './lib/throttled-link.ts';
import type { PageOutcome } from './pages/page-outcome.ts';
import { startUploadStack, type UploadStack } from './upload-intents.ts';

const NAME = 'resumable-upload';
const QUICK = process.argv.includes('--quick');
const FILE_BYTES = (QUICK ? 6 : 20) * 1024 * 1024;
const RUNS = QUICK ? 2 : 5;
const TARGET_RATIO = 1.1;
/** 2 Mbit/s. */
const PHONE_UP_BYTES_PER_SECOND = 250_000;
/** Cut seeds: run n of every contender uses CUT_SEED + n. */
const CUT_SEED = 18_000;
/** The clean link takes a second or two; a run that needs this long is stuck. */
const CLEAN_DEADLINE_MS = 60_000;
/**
 * A phone run gets 2.5 x the time the file alone needs on the uplink (210 s for 20 MiB), far
 * past any time that could meet the target: a run still going then is reported unfinished.
 */
const PHONE_DEADLINE_MS = (2.5 * FILE_BYTES * 1000) / PHONE_UP_BYTES_PER_SECOND;

const CONTENDERS = ['uplink', 'tus'] as const;
/**
 * The floor on the clean link: the same intent and completion as Uplink's, the file in one Put
 * Blob at once (bench/pages/resumable-upload.ts): what the storage takes for the bytes alone.
 */
const FLOOR = 'put-blob';
type Contender = (typeof CONTENDERS)[number] | typeof FLOOR;
/** One Put Blob cannot outlive the phone link's cuts: the floor runs on the clean link only. */
const contendersOn = (link: LinkName): readonly Contender[] =>
  link === 'clean' ? [...CONTENDERS, FLOOR] : CONTENDERS;
const LINKS = ['clean', 'phone'] as const;
type LinkName = (typeof LINKS)[number];
const isLinkName = (name: string): name is LinkName => (LINKS as readonly string[]).includes(name);

/** The links `--link=<name>` asks for; both without it. */
function linksAsked(): readonly LinkName[] {
  const asked = process.argv.find((arg) => arg.startsWith('--link='))?.slice('--link='.length);
  if (asked === undefined) return LINKS;
  if (!isLinkName(asked)) throw new Error(`--link=${asked}: the links are ${LINKS.join(', ')}`);
  return [asked];
}

function profileOf(link: LinkName, run: number): LinkProfile {
  if (link === 'clean') return CLEAN_LINK;
  return {
    upBytesPerSecond: PHONE_UP_BYTES_PER_SECOND,
    oneWayDelayMs: 50,
    cut: { minBytes: 1_000_000, maxBytes: 3_000_000, seed: CUT_SEED + run },
  };
}

type RunFigures = {
  contender: Contender;
  link: LinkName;
  run: number;
  finished: boolean;
  /** Time to done; the deadline when it did not finish. */
  ms: number;
  /** Uplink: the part of `ms` the completion took (the gateway verifying the blob). */
  verifyingMs?: number;
  /** Client -> server bytes the link carried / file size. */
  wireRatio: number;
  /** Connections opened after the page had loaded. */
  connections: number;
  cuts: number;
  /** Requests the uploader made (CORS preflights not counted), retries included. */
  requests: number;
  /** The requests that got an answer, by what they were for, in ms from the call to the uploader. */
  timeline: TimedRequest[];
  /** Why it did not finish. */
  problem?: string;
};

type TimedRequest = { kind: string; startMs: number; endMs: number };

/** What a request of either uploader was for, from its URL. */
function requestKind(url: string): string {
  const { pathname, searchParams } = new URL(url);
  const comp = searchParams.get('comp');
  if (comp === 'blocklist') return 'block list';
  if (comp === 'block') return 'blocks';
  if (pathname.endsWith('/complete')) return 'completion';
  if (pathname.endsWith('/uploads')) return 'intent';
  if (pathname.includes('/uploads/')) return 'resumption';
  if (pathname.endsWith('/files')) return 'tus creation';
  if (pathname.includes('/files/')) return 'tus upload';
  return searchParams.has('sig') ? 'put blob' : pathname;
}

/** "intent 0-31 ms, 11 blocks 32-1204 ms, ...": each kind of request, from the first start to the last end. */
function timelineText(timeline: readonly TimedRequest[]): string {
  const kinds = new Map<string, { count: number; startMs: number; endMs: number }>();
  for (const request of timeline) {
    const seen = kinds.get(request.kind);
    kinds.set(request.kind, {
      count: (seen?.count ?? 0) + 1,
      startMs: Math.min(seen?.startMs ?? request.startMs, request.startMs),
      endMs: Math.max(seen?.endMs ?? request.endMs, request.endMs),
    });
  }
  return [...kinds]
    .map(
      ([kind, { count, startMs, endMs }]) => `${count > 1 ? `${count} ` : ''}${kind} ${startMs}-${endMs} ms`,
    )
    .join(', ');
}

type Setup = {
  stack: UploadStack;
  browser: Browser;
  filePath: string;
  tusDir: string;
  originPort: number;
  azuritePort: number;
  /** Where the link listens for the page's origin and for the storage. */
  pagePort: number;
  storagePort: number;
};

/**
 * The commit that last changed the page's uploader, what this run measured: upload.ts or the
 * block sizing it takes from blocks.ts.
 */
function uploaderCommit(): string {
  const client = join(benchDir, '..', 'services', 'upload-gateway', 'client', 'src');
  const uploader = [join(client, 'upload.ts'), join(client, 'blocks.ts')];
  try {
    return execFileSync('git', ['log', '-1', '--format=%h %s', '--', ...uploader], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Runs the contender's upload in a fresh browser context; the link's counters start after the page loaded. */
async function runOnce(setup: Setup, contender: Contender, link: LinkName, run: number): Promise<RunFigures> {
  const deadlineMs = link === 'clean' ? CLEAN_DEADLINE_MS : PHONE_DEADLINE_MS;
  const throttled = new ThrottledLink(profileOf(link, run));
  await throttled.forward(setup.originPort, setup.pagePort);
  await throttled.forward(setup.azuritePort, setup.storagePort);
  const context = await setup.browser.newContext();
  try {
    const page = await context.newPage();
    const pageOrigin = `http://127.0.0.1:${setup.pagePort}`;
    await page.goto(`${pageOrigin}/`);
    await page.setInputFiles('#file', setup.filePath);
    let verify: (outcome: PageOutcome) => Promise<string | undefined>;
    let call: string;
    if (contender === 'uplink' || contender === FLOOR) {
      const { linkId, token } = await setup.stack.newLink();
      call = `window.bench.${contender === FLOOR ? 'putBlob' : 'uplink'}(${JSON.stringify(`/u/${token}`)})`;
      verify = async () => {
        const status = (await setup.stack.links.getById(linkId))?.status;
        return status === 'received' ? undefined : `the link is ${status ?? 'missing'}, not received`;
      };
    } else {
      call = `window.bench.tus(${JSON.stringify(`${pageOrigin}/files`)})`;
      verify = async (outcome) => {
        const id = outcome.uploadUrl?.split('/').pop() ?? '';
        const size = await stat(join(setup.tusDir, id)).then(
          (s) => s.size,
          () => -1,
        );
        return size === FILE_BYTES ? undefined : `the tus server stored ${size} bytes`;
      };
    }
    throttled.resetCounters();
    // Playwright reports no CORS preflight: these are the uploader's own requests.
    let requests = 0;
    page.on('request', () => requests++);
    const evaluation = page.evaluate(call) as Promise<PageOutcome>;
    // Closing the context at the deadline rejects the evaluation: nobody waits for it then.
    evaluation.catch(() => undefined);
    let deadline: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      evaluation,
      new Promise<undefined>((resolve) => {
        deadline = setTimeout(() => resolve(undefined), deadlineMs);
      }),
    ]);
    clearTimeout(deadline);
    const { upstreamBytes, connections, cuts } = throttled.counters;
    const problem =
      outcome === undefined
        ? `not done after ${round(deadlineMs / 1000, 0)} s`
        : (outcome.error ?? (await verify(outcome)));
    return {
      contender,
      link,
      run,
      finished: problem === undefined,
      ms: round(outcome?.ms ?? deadlineMs, 0),
      ...(outcome?.verifyingMs === undefined ? {} : { verifyingMs: round(outcome.verifyingMs, 0) }),
      wireRatio: round(upstreamBytes / FILE_BYTES, 3),
      connections,
      cuts,
      requests,
      timeline: (outcome?.requests ?? []).map((request) => ({
        kind: requestKind(request.url),
        startMs: round(request.startMs, 0),
        endMs: round(request.endMs, 0),
      })),
      ...(problem === undefined ? {} : { problem }),
    };
  } finally {
    await context.close();
    await throttled.close();
  }
}

type Summary = {
  finished: number;
  runs: number;
  /** Median time to done of the runs that finished (s); null when none did. */
  medianSeconds: number | null;
  medianWireRatio: number;
  /** Uplink: median time of the completion in the runs that finished (ms). */
  medianCompletionMs?: number;
  /**
   * Median time until storage held the whole file (s): tus's time to done, Uplink's without its
   * completion (which verifies the file and receives the link, work tus does not do).
   */
  medianStoredSeconds: number | null;
};

function summarize(runs: readonly RunFigures[]): Summary {
  const done = runs.filter((r) => r.finished);
  const completions = done.flatMap((r) => (r.verifyingMs === undefined ? [] : [r.verifyingMs]));
  return {
    ...(completions.length > 0 ? { medianCompletionMs: median(completions) } : {}),
    finished: done.length,
    runs: runs.length,
    medianSeconds: done.length > 0 ? round(median(done.map((r) => r.ms)) / 1000, 2) : null,
    medianStoredSeconds:
      done.length > 0 ? round(median(done.map((r) => r.ms - (r.verifyingMs ?? 0))) / 1000, 2) : null,
    medianWireRatio: round(
      percentile(
        runs.map((r) => r.wireRatio).sort((a, b) => a - b),
        50,
      ),
      3,
    ),
  };
}

const ratioOf = (a: number | null, b: number | null): number | null =>
  a === null || b === null ? null : round(a / b, 2);

export async function runResumableUpload(): Promise<BenchResult> {
  const started = Date.now();
  const links = linksAsked();
  const measured = uploaderCommit();
  const stack = await startUploadStack(NAME, 'bench_resumable_upload');
  const tusDir = await mkdtemp(join(tmpdir(), 'uplink-bench-tus-'));
  let browser: Browser | undefined;
  let origin: Awaited<ReturnType<typeof startChild>> | undefined;
  try {
    const filePath = join(tusDir, 'statement.pdf');
    await writeFile(filePath, pdfBytes(FILE_BYTES - pdfBytes(0).length));
    const [pagePort, storagePort] = [await freePort(), await freePort()];
    const azurite = new URL(stack.azurite.blobEndpoint);
    origin = await startChild(
      'origin',
      'resumable-origin.ts',
      {
        GATEWAY_URL: stack.gateway.url,
        STORAGE_ORIGIN: azurite.origin,
        STORAGE_PUBLIC_ORIGIN: `http://127.0.0.1:${storagePort}`,
        TUS_DIR: join(tusDir, 'tus'),
      },
      { run: NAME },
    );
    // The page runs on the link's origin: the storage must let it PUT.
    await stack.storage.configure(`http://127.0.0.1:${pagePort}`);
    browser = await launchChromium(chromium);
    const setup: Setup = {
      stack,
      browser,
      filePath,
      tusDir: join(tusDir, 'tus'),
      originPort: origin.ready.port as number,
      azuritePort: Number(azurite.port),
      pagePort,
      storagePort,
    };
    log(
      NAME,
      `${FILE_BYTES} bytes, ${RUNS} runs per contender on the ${links.join(' and ')} link; uploader: ${measured}; gateway ${stack.gateway.url}, Azurite ${azurite.origin}`,
    );

    // One untimed clean run each: the browser, the gateway and the tus server warm up.
    for (const contender of contendersOn('clean')) await runOnce(setup, contender, 'clean', -1);

    const runs: RunFigures[] = [];
    for (const link of links) {
      for (let run = 0; run < RUNS; run++) {
        const contenders = contendersOn(link);
        const order = run % 2 === 0 ? contenders : [...contenders].reverse();
        for (const contender of order) {
          const figures = await runOnce(setup, contender, link, run);
          runs.push(figures);
          log(
            NAME,
            `${link} ${contender} run ${run + 1}: ${figures.finished ? 'done' : `NOT DONE (${figures.problem})`} in ` +
              `${round(figures.ms / 1000, 2)} s${figures.verifyingMs === undefined ? '' : ` (completion ${figures.verifyingMs} ms)`}, ${figures.wireRatio}x the file up, ${figures.connections} connections, ${figures.cuts} cuts, ${figures.requests} requests`,
          );
          log(NAME, `  ${timelineText(figures.timeline)}`);
        }
      }
    }

    const of = (link: LinkName, contender: Contender) =>
      summarize(runs.filter((r) => r.link === link && r.contender === contender));
    const figures = Object.fromEntries(
      links.map((link) => [link, Object.fromEntries(contendersOn(link).map((c) => [c, of(link, c)]))]),
    ) as Partial<Record<LinkName, Record<(typeof CONTENDERS)[number], Summary> & { [FLOOR]?: Summary }>>;
    const { phone, clean } = figures;
    const phoneRatio = phone ? ratioOf(phone.uplink.medianSeconds, phone.tus.medianSeconds) : null;
    const cleanRatio = clean ? ratioOf(clean.uplink.medianSeconds, clean.tus.medianSeconds) : null;
    const cleanStoredRatio = clean
      ? ratioOf(clean.uplink.medianStoredSeconds, clean.tus.medianStoredSeconds)
      : null;
    const uplinkRuns = runs.filter((r) => r.contender === 'uplink');
    const maxUplinkWire = phone
      ? Math.max(...uplinkRuns.filter((r) => r.link === 'phone').map((r) => r.wireRatio))
      : null;
    // Only the targets of the links that ran.
    const targets = {
      uplinkFinishesEveryRun: uplinkRuns.every((r) => r.finished),
      ...(phone
        ? {
            phoneTimeWithin: phoneRatio !== null && phoneRatio <= TARGET_RATIO,
            phoneBytesWithin: maxUplinkWire !== null && maxUplinkWire <= TARGET_RATIO,
          }
        : {}),
      ...(clean ? { cleanTimeWithin: cleanRatio !== null && cleanRatio <= TARGET_RATIO } : {}),
    };
    const phoneText = phone
      ? `phone link Uplink ${phone.uplink.finished}/${phone.uplink.runs} done, ` +
        `${phone.uplink.medianSeconds ?? '-'} s (${phoneRatio ?? '-'}x tus ${phone.tus.medianSeconds ?? '-'} s, ` +
        `tus ${phone.tus.finished}/${phone.tus.runs} done), up to ${maxUplinkWire}x the file on the wire ` +
        `(tus ${phone.tus.medianWireRatio}x)`
      : undefined;
    const cleanText = clean
      ? `clean link ${clean.uplink.medianSeconds ?? '-'} s (${cleanRatio ?? '-'}x tus ${clean.tus.medianSeconds ?? '-'} s, ` +
        `one Put Blob ${clean[FLOOR]?.medianSeconds ?? '-'} s), the file in storage after ` +
        `${clean.uplink.medianStoredSeconds ?? '-'} s (${cleanStoredRatio ?? '-'}x tus)`
      : undefined;
    const headline = `${NAME}${QUICK ? ' (quick)' : ''}: ${[phoneText, cleanText].filter(Boolean).join('; ')}`;
    return {
      name: NAME,
      headline,
      passed: Object.values(targets).every(Boolean),
      quick: QUICK,
      links,
      uploader: measured,
      fileBytes: FILE_BYTES,
      runsPerContender: RUNS,
      phoneLink: {
        upBytesPerSecond: PHONE_UP_BYTES_PER_SECOND,
        oneWayDelayMs: 50,
        cutBytes: [1_000_000, 3_000_000],
        deadlineMs: PHONE_DEADLINE_MS,
      },
      targets,
      ratios: {
        phoneTime: phoneRatio,
        cleanTime: cleanRatio,
        cleanStoredTime: cleanStoredRatio,
        phoneUplinkMaxWire: maxUplinkWire,
      },
      figures,
      runs,
      originLog: origin.logFile,
      durationSeconds: round((Date.now() - started) / 1000, 0),
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await origin?.stop().catch(() => undefined);
    await stack.stop();
    await rm(tusDir, { recursive: true, force: true });
  }
}

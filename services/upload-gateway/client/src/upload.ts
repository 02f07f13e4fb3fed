// Sending one file: ask the gateway for an upload intent, put the bytes straight into Blob
// storage (one Put Blob, or staged blocks sized and paced to the link, each retried alone; where
// the first block shows a link fast enough, the whole file in one request), then ask the gateway
// to verify it. An Upload object can be run again after a failure and continues where it stopped;
// one made from a saved intent (a reopened page) asks the gateway which blocks storage already
// holds and sends only the rest.
import type { UploadIntent, UploadKind, UploadResumption } from '@uplink/contracts';
import { retryAfterMs } from '@uplink/kit/retry-after';
import {
  type Block,
  BlockPacer,
  blockId,
  FIRST_BLOCK_BYTES,
  missingRanges,
  returnRange,
  takeBlock,
  usableBlocks,
  WHOLE_FILE_MAX_BYTES,
  wholeFileFits,
  wholeFileOnTrack,
} from './blocks.ts';

export type UploadMeta = { fileName: string; contentType: string; kind: UploadKind };

/** `network` and `storage` are ours; the rest are the API's error codes. */
export class UploadFailure extends Error {
  readonly code: string;
  readonly retryAfterSeconds: number | undefined;
  readonly status: number | undefined;
  /** The file of a submission the gateway refused, where it names one. */
  readonly uploadId: string | undefined;

  constructor(
    code: string,
    message: string,
    details: { status?: number; retryAfterSeconds?: number; uploadId?: string } = {},
  ) {
    super(message);
    this.name = 'UploadFailure';
    this.code = code;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.uploadId = details.uploadId;
  }
}

export type UploadState = 'preparing' | 'uploading' | 'retrying' | 'offline' | 'verifying';

export type UploadObserver = {
  /** Bytes stored so far; never smaller than the previous call's value. */
  progress(sent: number, total: number): void;
  state(state: UploadState): void;
  /** A new intent was issued for the file: the page may save it, to continue after it is closed. */
  intent?(intent: UploadIntent): void;
};

const MAX_ATTEMPTS = 8;
/** A request that moves no byte for this long is abandoned and retried. */
const STALL_MS = 30_000;
/** An intent whose SAS expires sooner than this gets a new SAS before more bytes are sent. */
const INTENT_MARGIN_MS = 60_000;

/** Whether the intent's SAS runs out within INTENT_MARGIN_MS, by this browser's clock. */
function expiresSoon(intent: UploadIntent): boolean {
  return Date.parse(intent.expiresAt) - Date.now() < INTENT_MARGIN_MS;
}
/** Failures after which the blob is gone or unusable (the server deletes rejected blobs). */
const BLOB_DISCARDED = new Set(['upload_rejected', 'payload_too_large', 'unsupported_media_type', 'storage']);

/** How often a whole-file request's progress is judged, besides at each progress event. */
const JUDGE_EVERY_MS = 100;

/**
 * The link was too slow for a whole file in one request on this page (the first block said so, or
 * the request was given up or dropped): the page's next files go in blocks at once.
 */
let blocksOnly = false;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryAfter(header: string | null): number | undefined {
  const ms = retryAfterMs(header);
  return ms === undefined ? undefined : ms / 1000;
}

/** Whether trying again may succeed: no response, a timeout, throttling or a server error. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof UploadFailure)) return false;
  if (error.code === 'network') return true;
  return error.status === 408 || error.status === 429 || (error.status !== undefined && error.status >= 500);
}

type XhrResult = { status: number; retryAfter: string | null };

/** Whether storage took the request (a 2xx answer). */
const succeeded = (result: XhrResult) => result.status >= 200 && result.status < 300;

/** XMLHttpRequest for its upload progress events; rejects only when no response arrived. */
function putBytes(
  url: string,
  headers: Record<string, string>,
  body: Blob | string,
  onProgress: (loaded: number) => void,
  signal?: AbortSignal,
): Promise<XhrResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    let stallTimer = 0;
    const stalled = () => xhr.abort();
    const moved = () => {
      clearTimeout(stallTimer);
      stallTimer = window.setTimeout(stalled, STALL_MS);
    };
    const fail = () => {
      clearTimeout(stallTimer);
      reject(new UploadFailure('network', 'the request did not get a response'));
    };
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      moved();
      onProgress(event.loaded);
    };
    xhr.upload.onload = moved;
    xhr.onload = () => {
      clearTimeout(stallTimer);
      // Storage hints a wait only when it throttles or is busy; reading the header on any other
      // answer makes the browser log a refused header where a CORS rule does not expose it.
      const throttled = xhr.status === 429 || xhr.status === 503;
      resolve({ status: xhr.status, retryAfter: throttled ? xhr.getResponseHeader('retry-after') : null });
    };
    xhr.onerror = fail;
    xhr.onabort = fail;
    xhr.ontimeout = fail;
    moved();
    xhr.send(body);
  });
}

/** Put Block of `block` with the intent's SAS. */
function putBlockUrl(intent: UploadIntent, block: Block): string {
  return `${intent.uploadUrl}&comp=block&blockid=${encodeURIComponent(blockId(block))}`;
}

function storageFailure(result: XhrResult): UploadFailure {
  const seconds = retryAfter(result.retryAfter);
  return new UploadFailure('storage', `storage answered ${result.status}`, {
    status: result.status,
    ...(seconds !== undefined ? { retryAfterSeconds: seconds } : {}),
  });
}

async function apiFailure(response: Response): Promise<UploadFailure> {
  let code = 'unknown';
  let message = '';
  let uploadId: string | undefined;
  try {
    const body = (await response.json()) as {
      error?: { code?: unknown; message?: unknown; uploadId?: unknown };
    };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
    if (typeof body.error?.uploadId === 'string') uploadId = body.error.uploadId;
  } catch {
    // Not our envelope (a proxy's error page, say): the status decides below.
  }
  const seconds = retryAfter(response.headers.get('retry-after'));
  return new UploadFailure(code, message, {
    status: response.status,
    ...(seconds !== undefined ? { retryAfterSeconds: seconds } : {}),
    ...(uploadId !== undefined ? { uploadId } : {}),
  });
}

export async function callApi(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new UploadFailure('network', 'the request did not get a response');
  }
  if (!response.ok) throw await apiFailure(response);
  return response;
}

/**
 * Waits before a retry: while the browser is offline, then the backoff for the `attempt`th
 * failure in a row (0: none) or as long as storage or the gateway asked, whichever is longer.
 */
async function pause(
  observer: Pick<UploadObserver, 'state'>,
  error: unknown,
  attempt: number,
): Promise<void> {
  if (!navigator.onLine) {
    observer.state('offline');
    await new Promise((resolve) => window.addEventListener('online', resolve, { once: true }));
  }
  const backoff = attempt === 0 ? 0 : Math.min(15_000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
  const hinted = error instanceof UploadFailure ? (error.retryAfterSeconds ?? 0) * 1000 : 0;
  const wait = Math.min(60_000, Math.max(backoff, hinted));
  // A retry that goes at once is not worth a word: the customer sees the bytes move on.
  if (wait === 0) return;
  observer.state('retrying');
  await sleep(wait);
}

/**
 * Retries network errors, 408, 429 and 5xx with exponential backoff; waits while offline. Once a
 * retry has gone through, the observer is told `phase` again (what was being done).
 */
export async function withRetry<T>(
  observer: Pick<UploadObserver, 'state'>,
  phase: UploadState,
  request: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await request();
      if (attempt > 1) observer.state(phase);
      return result;
    } catch (error) {
      if (!isRetryable(error) || attempt >= MAX_ATTEMPTS) throw error;
      await pause(observer, error, attempt);
    }
  }
}

export class Upload {
  readonly blob: Blob;
  readonly meta: UploadMeta;
  private readonly apiBase: string;
  private intent: UploadIntent | undefined;
  /** Blocks Blob storage has acknowledged for the current intent. */
  private readonly stored: Block[] = [];
  private committed = false;
  /** The intent came from a page closed meanwhile: what storage holds is not known yet. */
  private checkStorage = false;
  /** A page closed meanwhile may have sent bytes for this intent (even the whole Put Blob). */
  private mayBeStored = false;
  /** What the upload is doing, shown again once a retry has gone through. */
  private phase: UploadState = 'preparing';

  /** `saved`: the intent a page closed during the upload had, to continue it. */
  constructor(blob: Blob, meta: UploadMeta, apiBase: string, saved?: UploadIntent) {
    this.blob = blob;
    this.meta = meta;
    this.apiBase = apiBase;
    this.intent = saved;
    this.checkStorage = saved !== undefined;
    this.mayBeStored = saved !== undefined;
  }

  /** The current intent's upload id; undefined before the first intent. */
  get uploadId(): string | undefined {
    return this.intent?.uploadId;
  }

  /** The upload alone: stores the bytes, then asks the gateway to verify this one file. */
  async run(observer: UploadObserver): Promise<void> {
    await this.guard(async () => {
      const uploadId = await this.storeBytes(observer);
      await this.verify(uploadId, observer);
    });
  }

  /**
   * Stores the bytes and stops there, for a submission of several files that the gateway
   * verifies together; resolves with the upload's id. Run again after a failure, it continues.
   */
  async store(observer: UploadObserver): Promise<string> {
    return this.guard(() => this.storeBytes(observer));
  }

  /**
   * The gateway refused this upload's blob in a submission (and deleted it): the next run starts
   * with a new intent.
   */
  discardBlob(): void {
    this.forgetIntent();
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      // After a verdict on the blob, or storage refusing the SAS, the next try needs a new intent;
      // after a network that stayed down, it continues with the blocks already stored.
      if (error instanceof UploadFailure && BLOB_DISCARDED.has(error.code) && !isRetryable(error)) {
        this.forgetIntent();
      }
      throw error;
    }
  }

  private forgetIntent(): void {
    this.intent = undefined;
    this.stored.length = 0;
    this.committed = false;
    this.checkStorage = false;
    this.mayBeStored = false;
  }

  private enter(observer: UploadObserver, phase: UploadState): void {
    this.phase = phase;
    observer.state(phase);
  }

  private async storeBytes(observer: UploadObserver): Promise<string> {
    if (this.intent && !this.committed && (this.checkStorage || expiresSoon(this.intent))) {
      this.enter(observer, 'preparing');
      const current = this.intent;
      await this.withRetry(observer, () => this.catchUp(current));
    }
    // An intent the gateway still holds open goes on: it gave a new SAS if the old one runs out
    // soon by its clock, which is the one storage keeps.
    if (!this.intent) {
      this.forgetIntent();
      this.enter(observer, 'preparing');
      const intent = await this.withRetry(observer, () => this.createIntent());
      this.intent = intent;
      observer.intent?.(intent);
    }
    const intent = this.intent;
    if (!this.committed) {
      this.enter(observer, 'uploading');
      if (intent.blockBytes === null) await this.putBlob(intent, observer);
      else await this.putStaged(intent, intent.blockBytes, observer);
      this.committed = true;
    }
    observer.progress(this.blob.size, this.blob.size);
    return intent.uploadId;
  }

  private async verify(uploadId: string, observer: UploadObserver): Promise<void> {
    this.enter(observer, 'verifying');
    await this.withRetry(observer, () =>
      callApi(`${this.apiBase}/uploads/${encodeURIComponent(uploadId)}/complete`, { method: 'POST' }),
    );
  }

  private async createIntent(): Promise<UploadIntent> {
    const response = await callApi(`${this.apiBase}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...this.meta, size: this.blob.size }),
    });
    return (await response.json()) as UploadIntent;
  }

  /**
   * Asks the gateway where the intent stands: the blocks storage holds for it become the stored
   * ones (or the blob is stored whole already), and a new SAS replaces one that runs out soon. An upload no longer issued (refused,
   * or swept after its SAS ran out) is forgotten, and the file starts again with a new intent.
   */
  private async catchUp(intent: UploadIntent): Promise<void> {
    const answer = await this.resumptionOf(intent);
    if (answer.state !== 'issued') {
      this.forgetIntent();
      return;
    }
    this.stored.splice(0, this.stored.length, ...usableBlocks(answer.blocks, this.blob.size));
    // Stored whole before the page closed: only the completion is left.
    this.committed = answer.committed;
    if (answer.sas) this.intent = { ...intent, ...answer.sas };
    this.checkStorage = false;
  }

  private withRetry<T>(observer: UploadObserver, request: () => Promise<T>): Promise<T> {
    return withRetry(observer, this.phase, request);
  }

  /** One Put Blob. The SAS cannot overwrite, so a retry after a lost response may be refused. */
  private async putBlob(intent: UploadIntent, observer: UploadObserver): Promise<void> {
    const total = this.blob.size;
    let shown = 0;
    // A closed page's attempt counts as one whose response was lost.
    let lostResponse = this.mayBeStored;
    await this.withRetry(observer, async () => {
      try {
        const result = await putBytes(intent.uploadUrl, intent.headers, this.blob, (loaded) => {
          shown = Math.max(shown, Math.min(loaded, total));
          observer.progress(shown, total);
        });
        // A refusal after an attempt whose response was lost: that attempt may well have
        // created the blob. Verification decides.
        if (lostResponse && (result.status === 409 || result.status === 403)) return;
        if (!succeeded(result)) throw storageFailure(result);
      } catch (error) {
        if (error instanceof UploadFailure && error.code === 'network') lostResponse = true;
        throw error;
      }
    });
  }

  /**
   * A staged intent's file: in one request where the link is fast enough, else in blocks. The
   * whole file is tried while no block of it is stored (a reopened page's intent may have some,
   * and a first try leaves its first block), on a page whose link has not shown it is too slow.
   */
  private async putStaged(
    intent: UploadIntent,
    maxBlockBytes: number,
    observer: UploadObserver,
  ): Promise<void> {
    const tryWholeFile = !blocksOnly && this.stored.length === 0 && this.blob.size <= WHOLE_FILE_MAX_BYTES;
    if (tryWholeFile && (await this.probeForWholeFile(intent, maxBlockBytes, observer))) return;
    await this.putBlocks(intent, maxBlockBytes, observer);
  }

  /**
   * Stages the first block alone and, where the time it took says the link carries the whole file
   * within a few seconds, sends the whole file in one request. Resolves whether the blob is
   * stored; otherwise the blocks go on, with the first one if it was stored.
   */
  private async probeForWholeFile(
    intent: UploadIntent,
    maxBlockBytes: number,
    observer: UploadObserver,
  ): Promise<boolean> {
    const total = this.blob.size;
    const block = { offset: 0, length: Math.min(FIRST_BLOCK_BYTES, maxBlockBytes, total) };
    const url = putBlockUrl(intent, block);
    const startedAt = performance.now();
    let result: XhrResult;
    try {
      result = await putBytes(url, {}, this.blob.slice(0, block.length), () => {});
    } catch {
      // Dropped: a link for blocks, which send this one again.
      blocksOnly = true;
      return false;
    }
    // Refused (a SAS storage no longer takes, say): the blocks deal with it.
    if (!succeeded(result)) return false;
    this.stored.push(block);
    observer.progress(block.length, total);
    if (!wholeFileFits(total, block.length, performance.now() - startedAt)) {
      blocksOnly = true;
      return false;
    }
    return this.putWholeFile(intent);
  }

  /**
   * The whole file in one Put Blob (the staged intent's SAS may write it), given up as soon as
   * its progress says the link got slower than the first block said, or it takes twice as long
   * (wholeFileOnTrack). Resolves whether the blob is stored; any failure leaves the file to the
   * blocks, which retry and report it. The progress bar is not moved: given up, the request's
   * bytes do not count.
   */
  private async putWholeFile(intent: UploadIntent): Promise<boolean> {
    const total = this.blob.size;
    const giveUp = new AbortController();
    const startedAt = performance.now();
    let loaded = 0;
    const judge = () => {
      if (!wholeFileOnTrack(loaded, total, performance.now() - startedAt)) giveUp.abort();
    };
    const judging = window.setInterval(judge, JUDGE_EVERY_MS);
    try {
      const headers = { ...intent.headers, 'x-ms-blob-type': 'BlockBlob' };
      const result = await putBytes(
        intent.uploadUrl,
        headers,
        this.blob,
        (sent) => {
          loaded = sent;
          judge();
        },
        giveUp.signal,
      );
      return succeeded(result);
    } catch {
      blocksOnly = true;
      return false;
    } finally {
      clearInterval(judging);
    }
  }

  /** What the gateway says of the intent's upload: its state, the stored blocks, a new SAS. */
  private async resumptionOf(intent: UploadIntent): Promise<UploadResumption> {
    const response = await callApi(`${this.apiBase}/uploads/${encodeURIComponent(intent.uploadId)}`, {
      method: 'GET',
    });
    return (await response.json()) as UploadResumption;
  }

  /**
   * A new SAS for the intent, during its upload: the gateway gives one when the intent's runs
   * out within minutes (or has: a long upload, or a phone whose clock is off). An upload the
   * gateway no longer holds open has lost its blob: the file starts again.
   */
  private async renewSas(intent: UploadIntent): Promise<UploadIntent> {
    const answer = await this.resumptionOf(intent);
    if (answer.state !== 'issued') throw new UploadFailure('storage', 'the upload is no longer open');
    if (answer.sas && this.intent === intent) this.intent = { ...intent, ...answer.sas };
    return this.intent ?? intent;
  }

  /**
   * Put Block for every range not stored yet, sized and paced to the link (BlockPacer), then Put
   * Block List of every stored block in offset order. A failed block's range goes back to be cut
   * again at the size the pacer says now.
   */
  private async putBlocks(
    first: UploadIntent,
    maxBlockBytes: number,
    observer: UploadObserver,
  ): Promise<void> {
    let intent = first;
    // One renewal at a time, however many blocks find the SAS running out; and none again for an
    // expiry the gateway did not renew (by its clock, and storage's, it is not close yet).
    let renewal: Promise<UploadIntent> | undefined;
    let kept = '';
    const renew = async () => {
      renewal ??= this.withRetry(observer, () => this.renewSas(intent)).finally(() => {
        renewal = undefined;
      });
      const before = intent.expiresAt;
      intent = await renewal;
      if (intent.expiresAt === before) kept = before;
    };
    const renewDue = () => expiresSoon(intent) && intent.expiresAt !== kept;
    const total = this.blob.size;
    const pacer = new BlockPacer(maxBlockBytes);
    const pending = missingRanges(this.stored, total);
    const inFlight = new Map<Block, number>();
    let storedBytes = 0;
    for (const block of this.stored) storedBytes += block.length;
    let shown = storedBytes;
    let storedCount = 0;
    const report = () => {
      let current = storedBytes;
      for (const loaded of inFlight.values()) current += loaded;
      shown = Math.max(shown, Math.min(current, total));
      observer.progress(shown, total);
    };
    report();

    let failure: unknown;
    let running = 0;
    const workers: Promise<void>[] = [];
    const worker = async () => {
      let failures = 0;
      let refused = false;
      while (failure === undefined && running <= pacer.parallel) {
        if (renewDue()) await renew().catch((error: unknown) => (failure ??= error));
        const block = failure === undefined ? takeBlock(pending, pacer.blockBytes) : undefined;
        if (!block) break;
        const body = this.blob.slice(block.offset, block.offset + block.length);
        const url = putBlockUrl(intent, block);
        const startedAt = performance.now();
        const storedBefore = storedCount;
        let moved = false;
        inFlight.set(block, 0);
        try {
          const result = await putBytes(url, {}, body, (loaded) => {
            moved ||= loaded > 0;
            inFlight.set(block, Math.min(loaded, block.length));
            report();
          });
          if (!succeeded(result)) throw storageFailure(result);
        } catch (error) {
          inFlight.delete(block);
          returnRange(pending, block);
          // Storage refusing the SAS: it may have run out sooner than this browser's clock says.
          // Once with a new one from the gateway; refused again, the upload fails as before.
          if (error instanceof UploadFailure && error.status === 403 && !refused) {
            refused = true;
            await renew().catch((renewing: unknown) => (failure ??= renewing));
            continue;
          }
          failures++;
          if (!isRetryable(error) || failures >= MAX_ATTEMPTS) {
            failure ??= error;
            break;
          }
          pacer.failed();
          // A connection was cut on a link that works (this request's bytes went out, or another
          // block was stored meanwhile): the block goes again at once.
          const cut = error instanceof UploadFailure && error.code === 'network';
          const linkWorks = cut && (moved || storedCount > storedBefore);
          await pause(observer, error, linkWorks ? 0 : failures);
          continue;
        }
        inFlight.delete(block);
        if (failures > 0) observer.state(this.phase);
        failures = 0;
        refused = false;
        this.stored.push(block);
        storedBytes += block.length;
        storedCount++;
        pacer.stored(block.length, performance.now() - startedAt);
        report();
        while (running < pacer.parallel && pending.length > 0) start();
      }
      running--;
    };
    const start = () => {
      running++;
      workers.push(worker());
    };
    while (running < pacer.parallel && pending.length > 0) start();
    // Workers start more workers as parallelism grows: wait until none is left running.
    for (let settled = 0; settled < workers.length; ) {
      settled = workers.length;
      await Promise.all(workers);
    }
    if (failure !== undefined) throw failure;

    const inOrder = [...this.stored].sort((a, b) => a.offset - b.offset);
    const list = inOrder.map((block) => `<Latest>${blockId(block)}</Latest>`).join('');
    const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>${list}</BlockList>`;
    if (renewDue()) await renew();
    await this.withRetry(observer, async () => {
      const result = await putBytes(`${intent.uploadUrl}&comp=blocklist`, intent.headers, xml, () => {});
      if (!succeeded(result)) throw storageFailure(result);
    });
  }
}

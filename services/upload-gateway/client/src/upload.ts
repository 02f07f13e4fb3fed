// Sending one file: ask the gateway for an upload intent, put the bytes straight into Blob
// storage (one Put Blob, or staged blocks that are retried one by one), then ask the gateway to
// verify it. An Upload object can be run again after a failure and continues where it stopped.
import type { UploadIntent, UploadKind } from '@uplink/contracts';
import { retryAfterMs } from '@uplink/kit/retry-after';

export type UploadMeta = { fileName: string; contentType: string; kind: UploadKind };

/** `network` and `storage` are ours; the rest are the API's error codes. */
export class UploadFailure extends Error {
  readonly code: string;
  readonly retryAfterSeconds: number | undefined;
  readonly status: number | undefined;

  constructor(code: string, message: string, details: { status?: number; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'UploadFailure';
    this.code = code;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

export type UploadState = 'preparing' | 'uploading' | 'retrying' | 'offline' | 'verifying';

export type UploadObserver = {
  /** Bytes stored so far; never smaller than the previous call's value. */
  progress(sent: number, total: number): void;
  state(state: UploadState): void;
};

const PARALLEL_BLOCKS = 3;
const MAX_ATTEMPTS = 8;
/** A request that moves no byte for this long is abandoned and retried. */
const STALL_MS = 30_000;
/** An intent whose SAS expires sooner than this is replaced before more bytes are sent. */
const INTENT_MARGIN_MS = 60_000;
/** Failures after which the blob is gone or unusable (the server deletes rejected blobs). */
const BLOB_DISCARDED = new Set(['upload_rejected', 'payload_too_large', 'unsupported_media_type', 'storage']);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryAfter(header: string | null): number | undefined {
  const ms = retryAfterMs(header);
  return ms === undefined ? undefined : ms / 1000;
}

function isRetryable(error: unknown): boolean {
  if (!(error instanceof UploadFailure)) return false;
  if (error.code === 'network') return true;
  return error.status === 408 || error.status === 429 || (error.status !== undefined && error.status >= 500);
}

type XhrResult = { status: number; retryAfter: string | null };

/** XMLHttpRequest for its upload progress events; rejects only when no response arrived. */
function putBytes(
  url: string,
  headers: Record<string, string>,
  body: Blob | string,
  onProgress: (loaded: number) => void,
): Promise<XhrResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
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
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not our envelope (a proxy's error page, say): the status decides below.
  }
  const seconds = retryAfter(response.headers.get('retry-after'));
  return new UploadFailure(code, message, {
    status: response.status,
    ...(seconds !== undefined ? { retryAfterSeconds: seconds } : {}),
  });
}

async function callApi(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new UploadFailure('network', 'the request did not get a response');
  }
  if (!response.ok) throw await apiFailure(response);
  return response;
}

/** Fixed-length ids, as Put Block List requires: block-000000 ... base64. */
function blockId(index: number): string {
  return btoa(`block-${String(index).padStart(6, '0')}`);
}

export class Upload {
  readonly blob: Blob;
  readonly meta: UploadMeta;
  private readonly apiBase: string;
  private intent: UploadIntent | undefined;
  /** Blocks Blob storage has acknowledged for the current intent (or [0] after a single Put Blob). */
  private readonly stored = new Set<number>();
  private committed = false;
  /** What the upload is doing, shown again once a retry has gone through. */
  private phase: UploadState = 'preparing';

  constructor(blob: Blob, meta: UploadMeta, apiBase: string) {
    this.blob = blob;
    this.meta = meta;
    this.apiBase = apiBase;
  }

  async run(observer: UploadObserver): Promise<void> {
    try {
      await this.attempt(observer);
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
    this.stored.clear();
    this.committed = false;
  }

  private enter(observer: UploadObserver, phase: UploadState): void {
    this.phase = phase;
    observer.state(phase);
  }

  private async attempt(observer: UploadObserver): Promise<void> {
    const expiresAt = this.intent ? Date.parse(this.intent.expiresAt) : 0;
    if (!this.intent || expiresAt - Date.now() < INTENT_MARGIN_MS) {
      this.forgetIntent();
      this.enter(observer, 'preparing');
      this.intent = await this.withRetry(observer, () => this.createIntent());
    }
    const intent = this.intent;
    if (!this.committed) {
      this.enter(observer, 'uploading');
      if (intent.blockBytes === null) await this.putBlob(intent, observer);
      else await this.putBlocks(intent, intent.blockBytes, observer);
      this.committed = true;
    }
    observer.progress(this.blob.size, this.blob.size);
    this.enter(observer, 'verifying');
    await this.withRetry(observer, () =>
      callApi(`${this.apiBase}/uploads/${encodeURIComponent(intent.uploadId)}/complete`, { method: 'POST' }),
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

  /** Retries network errors, 408, 429 and 5xx with exponential backoff; waits while offline. */
  private async withRetry<T>(observer: UploadObserver, request: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await request();
        if (attempt > 1) observer.state(this.phase);
        return result;
      } catch (error) {
        if (!isRetryable(error) || attempt >= MAX_ATTEMPTS) throw error;
        if (!navigator.onLine) {
          observer.state('offline');
          await new Promise((resolve) => window.addEventListener('online', resolve, { once: true }));
        }
        observer.state('retrying');
        const backoff = Math.min(15_000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        const hinted = error instanceof UploadFailure ? (error.retryAfterSeconds ?? 0) * 1000 : 0;
        await sleep(Math.min(60_000, Math.max(backoff, hinted)));
      }
    }
  }

  /** One Put Blob. The SAS cannot overwrite, so a retry after a lost response may be refused. */
  private async putBlob(intent: UploadIntent, observer: UploadObserver): Promise<void> {
    const total = this.blob.size;
    let shown = 0;
    let lostResponse = false;
    await this.withRetry(observer, async () => {
      try {
        const result = await putBytes(intent.uploadUrl, intent.headers, this.blob, (loaded) => {
          shown = Math.max(shown, Math.min(loaded, total));
          observer.progress(shown, total);
        });
        // A refusal after an attempt whose response was lost: that attempt may well have
        // created the blob. Verification decides.
        if (lostResponse && (result.status === 409 || result.status === 403)) return;
        if (result.status < 200 || result.status >= 300) throw storageFailure(result);
      } catch (error) {
        if (error instanceof UploadFailure && error.code === 'network') lostResponse = true;
        throw error;
      }
    });
    this.stored.add(0);
  }

  private async putBlocks(intent: UploadIntent, blockBytes: number, observer: UploadObserver): Promise<void> {
    const total = this.blob.size;
    const count = Math.max(1, Math.ceil(total / blockBytes));
    const sizeOf = (index: number) => Math.min(blockBytes, total - index * blockBytes);
    const inFlight = new Map<number, number>();
    let storedBytes = 0;
    for (const index of this.stored) storedBytes += sizeOf(index);
    let shown = storedBytes;
    const report = () => {
      let current = storedBytes;
      for (const loaded of inFlight.values()) current += loaded;
      shown = Math.max(shown, Math.min(current, total));
      observer.progress(shown, total);
    };
    report();

    const queue: number[] = [];
    for (let index = 0; index < count; index++) if (!this.stored.has(index)) queue.push(index);
    let failure: unknown;
    const worker = async () => {
      for (let index = queue.shift(); index !== undefined && failure === undefined; index = queue.shift()) {
        const block = index;
        const body = this.blob.slice(block * blockBytes, block * blockBytes + sizeOf(block));
        const url = `${intent.uploadUrl}&comp=block&blockid=${encodeURIComponent(blockId(block))}`;
        try {
          await this.withRetry(observer, async () => {
            inFlight.set(block, 0);
            try {
              const result = await putBytes(url, {}, body, (loaded) => {
                inFlight.set(block, Math.min(loaded, body.size));
                report();
              });
              if (result.status < 200 || result.status >= 300) throw storageFailure(result);
            } finally {
              inFlight.delete(block);
            }
          });
          this.stored.add(block);
          storedBytes += body.size;
          report();
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BLOCKS, queue.length) }, worker));
    if (failure !== undefined) throw failure;

    const list = Array.from({ length: count }, (_, index) => `<Latest>${blockId(index)}</Latest>`).join('');
    const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>${list}</BlockList>`;
    await this.withRetry(observer, async () => {
      const result = await putBytes(`${intent.uploadUrl}&comp=blocklist`, intent.headers, xml, () => {});
      if (result.status < 200 || result.status >= 300) throw storageFailure(result);
    });
  }
}

// A JPEG rendering of a HEIC/HEIF photo, for the console's preview in browsers that cannot show
// HEIC (all but Safari). The decoder is heic-convert (libheif compiled to WebAssembly), run in a
// worker thread with a memory cap, one rendering at a time per process. The stored original is
// only read, never changed: what was delivered stays what the customer sent.
import { Worker } from 'node:worker_threads';

/** Content types a rendering is made for. */
export const RENDERED_TYPES: ReadonlySet<string> = new Set(['image/heic', 'image/heif']);

/**
 * The largest file rendered: a 48-megapixel iPhone photo is about 15 MB. Decoding holds the
 * whole bitmap (4 bytes a pixel), hence the worker's heap limit below.
 */
export const MAX_RENDERED_BYTES = 25 * 1024 * 1024;
const WORKER_HEAP_MB = 768;
/** A rendering that takes longer is abandoned (a decoder stuck on a hostile file, say). */
const RENDER_TIMEOUT_MS = 30_000;

let queue: Promise<unknown> = Promise.resolve();

/** The photo as a JPEG; rejects when it cannot be decoded. */
export function renderHeicAsJpeg(heic: Uint8Array): Promise<Uint8Array> {
  const run = queue.then(() => renderInWorker(heic));
  queue = run.catch(() => {});
  return run;
}

function renderInWorker(heic: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./heic-rendering-worker.ts', import.meta.url), {
      workerData: { heic },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    const timer = setTimeout(() => {
      reject(new Error('rendering the photo took too long'));
      void worker.terminate();
    }, RENDER_TIMEOUT_MS);
    worker.once('message', (jpeg: Uint8Array) => {
      clearTimeout(timer);
      resolve(jpeg);
      void worker.terminate();
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the rendering worker exited with code ${code}`));
    });
  });
}

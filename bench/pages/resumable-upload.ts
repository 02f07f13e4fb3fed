// The resumable-upload benchmark's page (bench/resumable-upload.ts): the file picked in #file is
// sent either by Uplink's own page code (the Upload class the upload page runs) or by
// tus-js-client, configured as a tuned tus deployment runs it. The benchmark calls
// `window.bench.uplink(apiBase)` or `window.bench.tus(endpoint)`; each resolves, never rejects,
// with how long the upload took in the page.
import * as tus from 'tus-js-client';
import { Upload } from '../../services/upload-gateway/client/src/upload.ts';
import type { PageOutcome, PageRequest } from './page-outcome.ts';

// A phone run makes a hundred requests or so: room for all of them.
performance.setResourceTimingBufferSize(10_000);

/**
 * The requests that started since `started` (a performance.now() time) and ended, relative to
 * it. A request's entry is recorded once its answer's body is read, after the uploader resolved
 * (the completion's body nobody reads): a moment later, outside the time measured.
 */
async function requestsSince(started: number): Promise<PageRequest[]> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return performance
    .getEntriesByType('resource')
    .filter((entry) => entry.startTime >= started)
    .map((entry) => ({
      url: entry.name,
      startMs: entry.startTime - started,
      endMs: entry.startTime + entry.duration - started,
    }));
}

function pickedFile(): File {
  const file = document.querySelector<HTMLInputElement>('#file')?.files?.[0];
  if (!file) throw new Error('no file picked in #file');
  return file;
}

/** Intent, blocks to Blob storage, completion: everything the upload page's Upload.run does. */
async function uplink(apiBase: string): Promise<PageOutcome> {
  const file = pickedFile();
  const started = performance.now();
  const upload = new Upload(file, { fileName: file.name, contentType: file.type, kind: 'file' }, apiBase);
  let verifyingSince: number | undefined;
  const state = (state: string) => {
    if (state === 'verifying') verifyingSince ??= performance.now();
  };
  try {
    await upload.run({ progress: () => undefined, state });
    const ended = performance.now();
    return {
      ms: ended - started,
      verifyingMs: ended - (verifyingSince ?? ended),
      requests: await requestsSince(started),
    };
  } catch (error) {
    return { ms: performance.now() - started, error: String(error), requests: await requestsSince(started) };
  }
}

/**
 * The floor on the clean link: the same intent, the whole file in one Put Blob (the intent's SAS
 * allows it) at once, without the first block the upload page judges the link by, the same
 * completion. It shows what storage itself takes for the bytes; nothing of it resumes, so the
 * benchmark runs it on the clean link only.
 */
async function putBlob(apiBase: string): Promise<PageOutcome> {
  const file = pickedFile();
  const started = performance.now();
  try {
    const answer = await fetch(`${apiBase}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fileName: file.name, contentType: file.type, kind: 'file', size: file.size }),
    });
    if (!answer.ok) throw new Error(`the intent answered ${answer.status}`);
    const intent = (await answer.json()) as {
      uploadId: string;
      uploadUrl: string;
      headers: Record<string, string>;
    };
    // A staged upload's intent gives the headers of its Put Block List: Put Blob names the blob type too.
    const stored = await fetch(intent.uploadUrl, {
      method: 'PUT',
      headers: { ...intent.headers, 'x-ms-blob-type': 'BlockBlob' },
      body: file,
    });
    if (!stored.ok) throw new Error(`Put Blob answered ${stored.status}`);
    const verifyingSince = performance.now();
    const completion = await fetch(`${apiBase}/uploads/${encodeURIComponent(intent.uploadId)}/complete`, {
      method: 'POST',
    });
    if (!completion.ok) throw new Error(`the completion answered ${completion.status}`);
    await completion.arrayBuffer();
    const ended = performance.now();
    return {
      ms: ended - started,
      verifyingMs: ended - verifyingSince,
      requests: await requestsSince(started),
    };
  } catch (error) {
    return { ms: performance.now() - started, error: String(error), requests: await requestsSince(started) };
  }
}

/**
 * tus-js-client as Uppy and Supabase's examples run it: the whole file in one PATCH (its default
 * chunkSize), a quick first retry then a few slower ones (after each cut it asks the server for
 * the offset and sends from there; a retry that made progress starts the delays over), and the
 * fingerprint store, so a reopened page resumes a previous upload of the same file.
 */
function tusUpload(endpoint: string): Promise<PageOutcome> {
  const file = pickedFile();
  const started = performance.now();
  return new Promise((resolve) => {
    const upload = new tus.Upload(file, {
      endpoint,
      retryDelays: [0, 1_000, 3_000, 5_000],
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      metadata: { filename: file.name, filetype: file.type },
      onSuccess: async () =>
        resolve({
          ms: performance.now() - started,
          uploadUrl: upload.url ?? '',
          requests: await requestsSince(started),
        }),
      onError: async (error) =>
        resolve({
          ms: performance.now() - started,
          error: String(error),
          requests: await requestsSince(started),
        }),
    });
    void upload.findPreviousUploads().then((previous) => {
      const [latest] = previous;
      if (latest) upload.resumeFromPreviousUpload(latest);
      upload.start();
    });
  });
}

Object.assign(window, { bench: { uplink, tus: tusUpload, putBlob } });

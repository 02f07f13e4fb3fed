// The resumable-upload benchmark's page (bench/resumable-upload.ts): the file picked in #file is
// sent either by Uplink's own page code (the Upload class the upload page runs) or by
// tus-js-client, configured as a tuned tus deployment runs it. The benchmark calls
// `window.bench.uplink(apiBase)` or `window.bench.tus(endpoint)`; each resolves, never rejects,
// with how long the upload took in the page.
import * as tus from 'tus-js-client';
import { Upload } from '../../services/upload-gateway/client/src/upload.ts';
import type { PageOutcome } from './page-outcome.ts';

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
    return { ms: ended - started, verifyingMs: ended - (verifyingSince ?? ended) };
  } catch (error) {
    return { ms: performance.now() - started, error: String(error) };
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
      onSuccess: () => resolve({ ms: performance.now() - started, uploadUrl: upload.url ?? '' }),
      onError: (error) => resolve({ ms: performance.now() - started, error: String(error) }),
    });
    void upload.findPreviousUploads().then((previous) => {
      const [latest] = previous;
      if (latest) upload.resumeFromPreviousUpload(latest);
      upload.start();
    });
  });
}

Object.assign(window, { bench: { uplink, tus: tusUpload } });

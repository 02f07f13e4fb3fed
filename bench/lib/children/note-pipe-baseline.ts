// Child process: the note-delivery baseline. It pipes blobs straight from Azurite to the Freshdesk
// double, each as one multipart note: the same SDK download note-relay uses (conditional on the
// ETag), then either fetch with a streamed body (note-relay's client) or node:http with
// stream.pipeline, and nothing else: no database, no events, no bookkeeping.
// Env: AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_CONTAINER, FRESHDESK_URL, FRESHDESK_API_KEY,
// PIPE_CLIENT (`http` for node:http + stream.pipeline; fetch otherwise).
// Reports { port } when listening; POST /run with { jobs: PipeJob[] } pipes them all at once and
// answers { results: PipeResult[] } once every one has been answered.
import { randomBytes } from 'node:crypto';
import { Agent, createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AzureBlobStore } from '../../../packages/storage/src/index.ts';
import { childLifecycle } from '../common.ts';

export type PipeJob = {
  blobName: string;
  etag: string;
  fileName: string;
  contentType: string;
  ticketId: number;
};
export type PipeResult = { ticketId: number; status: number; noteId: number | null; error: string | null };

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const storage = await AzureBlobStore.fromConfig({
  AZURE_STORAGE_CONNECTION_STRING: env('AZURE_STORAGE_CONNECTION_STRING'),
  AZURE_STORAGE_USE_IDENTITY: false,
  AZURE_STORAGE_CONTAINER: env('AZURE_STORAGE_CONTAINER'),
});
const freshdeskUrl = env('FRESHDESK_URL');
/** PIPE_CLIENT=http posts with node:http and stream.pipeline instead of fetch. */
const client = process.env.PIPE_CLIENT === 'http' ? 'http' : 'fetch';
const agent = new Agent({ keepAlive: true });
const authorization = `Basic ${Buffer.from(`${env('FRESHDESK_API_KEY')}:X`).toString('base64')}`;

async function pipe(job: PipeJob): Promise<PipeResult> {
  const opened = await storage.openRead(job.blobName, job.etag);
  if (opened === undefined) throw new Error(`blob ${job.blobName} is gone or changed`);
  const boundary = `----BenchBoundary${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="body"\r\n\r\n<p>baseline</p>\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="private"\r\n\r\ntrue\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="attachments[]"; filename="${job.fileName}"\r\n` +
      `Content-Type: ${job.contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const { stream } = opened;
  async function* parts() {
    yield head;
    for await (const chunk of stream) yield chunk as Buffer;
    yield tail;
  }
  const url = `${freshdeskUrl}/api/v2/tickets/${job.ticketId}/notes`;
  const headers = {
    authorization,
    'content-type': `multipart/form-data; boundary=${boundary}`,
    'content-length': String(head.length + opened.size + tail.length),
  };
  const { status, text } =
    client === 'http' ? await postHttp(url, headers, parts()) : await postFetch(url, headers, parts());
  const ok = status === 200 || status === 201;
  const noteId = ok ? ((JSON.parse(text) as { id?: number }).id ?? null) : null;
  return { ticketId: job.ticketId, status, noteId, error: ok ? null : text };
}

type Answer = { status: number; text: string };

async function postFetch(
  url: string,
  headers: Record<string, string>,
  body: AsyncIterable<Buffer>,
): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: ReadableStream.from(body),
    duplex: 'half',
  } as RequestInit);
  return { status: response.status, text: await response.text() };
}

/** node:http with stream.pipeline: the classic Node pipe, for comparison with fetch. */
function postHttp(
  url: string,
  headers: Record<string, string>,
  body: AsyncIterable<Buffer>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    pipeline(Readable.from(body), req).catch(reject);
  });
}

async function readJson(req: IncomingMessage): Promise<{ jobs: PipeJob[] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { jobs: PipeJob[] };
}

let piped = 0;
const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/run') {
    res.writeHead(404).end();
    return;
  }
  void readJson(req)
    .then(({ jobs }) =>
      Promise.all(
        jobs.map((job) =>
          pipe(job).catch((err: Error) => ({
            ticketId: job.ticketId,
            status: 0,
            noteId: null,
            error: err.message,
          })),
        ),
      ),
    )
    .then((results) => {
      piped += results.length;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
    })
    .catch((err: Error) => res.writeHead(500).end(err.message));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

childLifecycle(
  { port: (server.address() as AddressInfo).port },
  () => new Promise<void>((resolve) => server.close(() => resolve())),
  () => ({ piped }),
);

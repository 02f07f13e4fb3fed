// A multipart/form-data body whose file part is streamed: the preamble and epilogue are small
// buffers, the file's bytes pass straight from its Node stream to the request as they are pulled,
// so the body's exact length is known up front and the file is never held whole in memory.

import { randomBytes } from 'node:crypto';

export type MultipartField = { name: string; value: string };

export type MultipartFile = {
  /** The form field, e.g. `attachments[]`. */
  field: string;
  fileName: string;
  contentType: string;
  /** The exact number of bytes `stream` yields; anything else fails the body. */
  size: number;
  stream: NodeJS.ReadableStream;
};

export type MultipartBody = {
  /** `multipart/form-data; boundary=…`, for the request's Content-Type. */
  contentType: string;
  /** Exact, for the request's Content-Length. */
  contentLength: number;
  /** Pull-driven: the file stream is read only as fast as the request consumes it. */
  stream: ReadableStream<Uint8Array>;
  /** Why reading the file failed, when it did (the request then fails with it). */
  fileError(): Error | undefined;
  /** Stops reading the file if the request ended before the body was consumed. */
  dispose(): void;
};

/** Thrown into the body when the file stream breaks or yields a different number of bytes. */
export class FileReadError extends Error {
  override readonly name = 'FileReadError';
}

const CRLF = '\r\n';

export function multipartBody(fields: readonly MultipartField[], file: MultipartFile): MultipartBody {
  const boundary = `----UplinkBoundary${randomBytes(16).toString('hex')}`;
  let head = '';
  for (const field of fields) {
    head += `--${boundary}${CRLF}Content-Disposition: form-data; name="${quoted(field.name)}"${CRLF}${CRLF}`;
    head += `${field.value}${CRLF}`;
  }
  head +=
    `--${boundary}${CRLF}` +
    `Content-Disposition: form-data; name="${quoted(file.field)}"; filename="${quoted(file.fileName)}"${CRLF}` +
    `Content-Type: ${headerSafeType(file.contentType)}${CRLF}${CRLF}`;
  const preamble = Buffer.from(head, 'utf8');
  const epilogue = Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'utf8');

  const source = file.stream;
  const chunks = source[Symbol.asyncIterator]();
  let stage: 'preamble' | 'file' | 'done' = 'preamble';
  let sent = 0;
  let failure: Error | undefined;

  const stopReading = (): void => {
    stage = 'done';
    const destroy = (source as { destroy?: unknown }).destroy;
    if (typeof destroy === 'function') destroy.call(source);
    else void chunks.return?.();
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (stage === 'preamble') {
          stage = 'file';
          controller.enqueue(preamble);
          return;
        }
        if (stage !== 'file') return;
        let next: IteratorResult<string | Buffer>;
        try {
          next = await chunks.next();
        } catch (error) {
          failure = new FileReadError(`reading the file failed: ${messageOf(error)}`, { cause: error });
          stopReading();
          throw failure;
        }
        if (!next.done) {
          const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
          sent += chunk.length;
          if (sent > file.size) {
            failure = new FileReadError(`the file has more than the ${file.size} bytes announced`);
            stopReading();
            throw failure;
          }
          controller.enqueue(chunk);
          return;
        }
        if (sent !== file.size) {
          failure = new FileReadError(`the file ended after ${sent} of ${file.size} bytes`);
          stage = 'done';
          throw failure;
        }
        stage = 'done';
        controller.enqueue(epilogue);
        controller.close();
      },
      cancel() {
        stopReading();
      },
    },
    { highWaterMark: 0 },
  );

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: preamble.length + file.size + epilogue.length,
    stream,
    fileError: () => failure,
    dispose: () => {
      if (stage !== 'done') stopReading();
    },
  };
}

/**
 * A value inside a quoted Content-Disposition parameter, escaped the way browsers do it (WHATWG
 * multipart/form-data encoding): `"` and line breaks percent-encoded, the rest sent as UTF-8.
 */
function quoted(value: string): string {
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A media type fit for a part header; anything odd becomes application/octet-stream. */
function headerSafeType(contentType: string): string {
  return /^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=("[^"\r\n]*"|[\w.+-]+))*$/.test(contentType)
    ? contentType
    : 'application/octet-stream';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

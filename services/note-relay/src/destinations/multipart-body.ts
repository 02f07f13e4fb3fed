// A multipart/form-data body whose file parts are streamed: the part headers are small buffers, each
// file's bytes pass straight from its Node stream to the request as they are pulled, one file after
// the other, so the body's exact length is known up front and no file is ever held whole in memory.

import { randomBytes } from 'node:crypto';

export type MultipartField = { name: string; value: string };

export type MultipartFile = {
  /** The form field, e.g. `attachments[]`. */
  field: string;
  fileName: string;
  contentType: string;
  /** The exact number of bytes the opened stream yields; anything else fails the body. */
  size: number;
  /**
   * The file's bytes, opened when the body reaches this part: one file is read at a time, so a
   * note with many attachments holds one storage connection, not one per file.
   */
  open(): Promise<NodeJS.ReadableStream>;
};

export type MultipartBody = {
  /** `multipart/form-data; boundary=…`, for the request's Content-Type. */
  contentType: string;
  /** Exact, for the request's Content-Length. */
  contentLength: number;
  /** Pull-driven: each file stream is read only as fast as the request consumes it. */
  stream: ReadableStream<Uint8Array>;
  /** Why reading a file failed, when it did (the request then fails with it). */
  fileError(): Error | undefined;
  /** Stops reading if the request ended before the body was consumed. */
  dispose(): void;
};

/** Thrown into the body when a file cannot be opened, breaks, or yields a different number of bytes. */
export class FileReadError extends Error {
  override readonly name = 'FileReadError';
}

const CRLF = '\r\n';

export function multipartBody(
  fields: readonly MultipartField[],
  files: readonly MultipartFile[],
): MultipartBody {
  const boundary = `----UplinkBoundary${randomBytes(16).toString('hex')}`;
  let head = '';
  for (const field of fields) {
    head += `--${boundary}${CRLF}Content-Disposition: form-data; name="${quoted(field.name)}"${CRLF}${CRLF}`;
    head += `${field.value}${CRLF}`;
  }
  const fieldsPart = Buffer.from(head, 'utf8');
  const fileHeads = files.map((file) =>
    Buffer.from(
      `--${boundary}${CRLF}` +
        `Content-Disposition: form-data; name="${quoted(file.field)}"; filename="${quoted(file.fileName)}"${CRLF}` +
        `Content-Type: ${headerSafeType(file.contentType)}${CRLF}${CRLF}`,
      'utf8',
    ),
  );
  const afterFile = Buffer.from(CRLF, 'utf8');
  const closing = Buffer.from(`--${boundary}--${CRLF}`, 'utf8');

  // Which file a read failure is about, when the note carries several.
  const labelOf = (file: MultipartFile) => (files.length > 1 ? `${file.fileName}: ` : '');
  let source: NodeJS.ReadableStream | undefined;
  let failure: Error | undefined;
  let finished = false;

  async function* parts(): AsyncGenerator<Buffer> {
    if (fieldsPart.length > 0) yield fieldsPart;
    for (const [index, file] of files.entries()) {
      yield fileHeads[index] as Buffer;
      try {
        source = await file.open();
      } catch (error) {
        throw new FileReadError(`${labelOf(file)}opening the file failed: ${messageOf(error)}`, {
          cause: error,
        });
      }
      let sent = 0;
      try {
        for await (const chunk of source as AsyncIterable<string | Buffer>) {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          sent += bytes.length;
          if (sent > file.size) {
            throw new FileReadError(
              `${labelOf(file)}the file has more than the ${file.size} bytes announced`,
            );
          }
          yield bytes;
        }
      } catch (error) {
        if (error instanceof FileReadError) throw error;
        throw new FileReadError(`${labelOf(file)}reading the file failed: ${messageOf(error)}`, {
          cause: error,
        });
      } finally {
        source = undefined;
      }
      if (sent !== file.size) {
        throw new FileReadError(`${labelOf(file)}the file ended after ${sent} of ${file.size} bytes`);
      }
      yield afterFile;
    }
    yield closing;
  }

  const chunks = parts();
  const stopReading = (): void => {
    if (finished) return;
    finished = true;
    // A pull may be waiting on the file stream: destroying it ends that wait; the generator's
    // own clean-up then has nothing left to close.
    if (source !== undefined) destroyStream(source);
    void chunks.return(undefined).catch(() => {});
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (finished) return;
        let next: IteratorResult<Buffer>;
        try {
          next = await chunks.next();
        } catch (error) {
          failure =
            error instanceof FileReadError
              ? error
              : new FileReadError(`reading the file failed: ${messageOf(error)}`, { cause: error });
          stopReading();
          throw failure;
        }
        if (next.done) {
          finished = true;
          controller.close();
          return;
        }
        controller.enqueue(next.value);
      },
      cancel() {
        stopReading();
      },
    },
    { highWaterMark: 0 },
  );

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength:
      fieldsPart.length +
      files.reduce(
        (sum, file, index) => sum + (fileHeads[index]?.length ?? 0) + file.size + afterFile.length,
        0,
      ) +
      closing.length,
    stream,
    fileError: () => failure,
    dispose: stopReading,
  };
}

/** Closes a file stream (and the storage read behind it); harmless on one that ended. */
export function destroyStream(stream: NodeJS.ReadableStream): void {
  const destroy = (stream as { destroy?: unknown }).destroy;
  if (typeof destroy === 'function') destroy.call(stream);
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

// How the double reads a note request's body, multipart (streamed) or JSON, into the fields and
// files it carried; checking them is note-validation.ts's part.
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type FreshdeskFieldError, fieldErrors, humanSize } from './freshdesk-errors.ts';
import { MultipartError, MultipartParser, type PartInfo, type PartSink } from './multipart.ts';

const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_JSON_BYTES = 1024 * 1024;

/** What a note request carried, before validation. Absent keys were not sent. */
export interface RawNoteFields {
  body?: unknown;
  private?: unknown;
  incoming?: unknown;
  user_id?: unknown;
  notify_emails?: unknown;
}

export interface ReceivedFile {
  readonly name: string;
  readonly contentType: string;
  size: number;
  /** Streaming digest, only when the bytes are not retained (else it is computed on demand). */
  readonly hash: Hash | null;
  chunks: Buffer[];
}

export interface ReadNote {
  readonly fields: RawNoteFields;
  readonly files: readonly ReceivedFile[];
  readonly errors: FreshdeskFieldError[];
  /** Set when the body was not even parseable: answered as is. */
  readonly refusal?: { readonly status: number; readonly body: unknown };
}

/**
 * Streams the multipart body: each attachment's bytes are kept as the chunks that arrived (and
 * hashed on the way when they are not kept); once the ticket's cap is exceeded, kept chunks are
 * dropped and the rest of the body is only counted, so an over-size request is never held.
 */
export async function readMultipartNote(
  req: IncomingMessage,
  boundary: string,
  limits: { existingBytes: number; limitBytes: number; retainBytes: boolean },
): Promise<ReadNote> {
  const fields: RawNoteFields & { notify_emails?: string[] } = {};
  const errors: FreshdeskFieldError[] = [];
  const files: ReceivedFile[] = [];
  const existing = limits.existingBytes;
  let fileBytes = 0;
  let overCap = false;
  const discard: PartSink = { data: () => {}, end: () => {} };

  const onPart = (part: PartInfo): PartSink => {
    if (part.name === 'attachments[]') {
      if (part.filename === undefined || part.filename === '' || part.contentType === undefined) {
        errors.push(fieldErrors.notAFile('attachments'));
        return discard;
      }
      const file: ReceivedFile = {
        name: part.filename,
        contentType: part.contentType,
        size: 0,
        hash: limits.retainBytes ? null : createHash('sha256'),
        chunks: [],
      };
      files.push(file);
      return {
        data: (chunk) => {
          file.size += chunk.length;
          fileBytes += chunk.length;
          file.hash?.update(chunk);
          if (!overCap && existing + fileBytes > limits.limitBytes) {
            overCap = true;
            for (const received of files) received.chunks = [];
          }
          if (!overCap && limits.retainBytes) file.chunks.push(chunk);
        },
        end: () => {},
      };
    }
    if (part.name === 'attachments') {
      errors.push(fieldErrors.type('attachments', part.filename === undefined ? 'String' : 'File', 'Array'));
      return discard;
    }
    const known = ['body', 'private', 'incoming', 'user_id', 'notify_emails[]'];
    if (!known.includes(part.name) || part.filename !== undefined) {
      errors.push(fieldErrors.unexpected(part.name.replace(/\[\]$/, '')));
      return discard;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    return {
      data: (chunk) => {
        size += chunk.length;
        if (size <= MAX_FIELD_BYTES) chunks.push(chunk);
      },
      end: () => {
        if (size > MAX_FIELD_BYTES) {
          errors.push({
            field: part.name,
            message: `It should not be larger than ${humanSize(MAX_FIELD_BYTES)}`,
            code: 'invalid_value',
          });
          return;
        }
        const value = Buffer.concat(chunks).toString('utf8');
        if (part.name === 'notify_emails[]') fields.notify_emails = [...(fields.notify_emails ?? []), value];
        else fields[part.name as 'body' | 'private' | 'incoming' | 'user_id'] = value;
      },
    };
  };

  const parser = new MultipartParser(boundary, onPart);
  let malformed: MultipartError | undefined;
  // Never leave this loop early: that would destroy the request and the reply with it.
  for await (const chunk of req) {
    if (malformed !== undefined) continue;
    try {
      parser.write(chunk as Buffer);
    } catch (error) {
      if (!(error instanceof MultipartError)) throw error;
      malformed = error;
    }
  }
  if (malformed === undefined) {
    try {
      parser.end();
    } catch (error) {
      if (!(error instanceof MultipartError)) throw error;
      malformed = error;
    }
  }
  if (malformed !== undefined) {
    return {
      fields,
      files: [],
      errors,
      refusal: { status: 400, body: { code: 'invalid_multipart', message: malformed.message } },
    };
  }
  return { fields, files, errors };
}

export async function readJsonNote(req: IncomingMessage): Promise<ReadNote> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_JSON_BYTES) chunks.push(chunk as Buffer);
  }
  const invalidJson = {
    status: 400,
    body: { code: 'invalid_json', message: 'Request body has invalid json format' },
  };
  if (size > MAX_JSON_BYTES) return { fields: {}, files: [], errors: [], refusal: invalidJson };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return { fields: {}, files: [], errors: [], refusal: invalidJson };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { fields: {}, files: [], errors: [], refusal: invalidJson };
  }
  const fields: RawNoteFields = {};
  const errors: FreshdeskFieldError[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    switch (key) {
      case 'body':
      case 'private':
      case 'incoming':
      case 'user_id':
      case 'notify_emails':
        fields[key] = value;
        break;
      case 'attachments':
        errors.push(fieldErrors.notAFile('attachments')); // JSON cannot carry files
        break;
      default:
        errors.push(fieldErrors.unexpected(key));
    }
  }
  return { fields, files: [], errors };
}

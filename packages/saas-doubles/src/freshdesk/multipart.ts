// A streaming multipart/form-data parser (RFC 7578 over RFC 2046) for the doubles: it hands each
// part's bytes to a sink as they arrive, so a 20 MB attachment is never held as one request body.
// Only what the doubles need: no nested multipart, no Content-Transfer-Encoding (RFC 7578 §4.7
// forbids it for form-data anyway).

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_BOUNDARY_LENGTH = 70; // RFC 2046 §5.1.1

/** The request is not well-formed multipart: the double answers 400 and stores nothing. */
export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

export interface PartInfo {
  /** The `name` parameter of Content-Disposition, e.g. `attachments[]`. */
  readonly name: string;
  /** The `filename` (or RFC 5987 `filename*`) parameter; undefined for a plain field. */
  readonly filename: string | undefined;
  /** The part's Content-Type, as sent; undefined when the part has none. */
  readonly contentType: string | undefined;
}

export interface PartSink {
  data(chunk: Buffer): void;
  end(): void;
}

/** The boundary of a `multipart/form-data; boundary=...` Content-Type, or undefined. */
export function multipartBoundary(contentType: string): string | undefined {
  const [mediaType, ...params] = contentType.split(';');
  if (mediaType?.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let value = param.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (value.length === 0 || value.length > MAX_BOUNDARY_LENGTH) return undefined;
    return value;
  }
  return undefined;
}

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done';

/**
 * Feed it the request body chunk by chunk with `write`, then call `end`. `onPart` is called at the
 * start of every part and returns the sink for that part's bytes. Throws MultipartError on a
 * malformed body (from `write` or from `end` when the closing delimiter never came).
 */
export class MultipartParser {
  readonly #delimiter: Buffer;
  readonly #onPart: (part: PartInfo) => PartSink;
  // The first delimiter may come without the CRLF that precedes all others: seeding the buffer
  // with one lets a single search handle both.
  #buffer: Buffer = CRLF;
  #state: State = 'preamble';
  #sink: PartSink | undefined;

  constructor(boundary: string, onPart: (part: PartInfo) => PartSink) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.#onPart = onPart;
  }

  write(chunk: Buffer): void {
    if (this.#state === 'done') return; // the epilogue is ignored (RFC 2046 §5.1.1)
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let progressed = true;
    while (progressed) progressed = this.#step();
  }

  end(): void {
    if (this.#state !== 'done') throw new MultipartError('the body ended before the closing boundary');
  }

  /** One state transition if the buffer allows it; false when more bytes are needed. */
  #step(): boolean {
    switch (this.#state) {
      case 'preamble': {
        const at = this.#buffer.indexOf(this.#delimiter);
        if (at < 0) {
          this.#keepTail();
          return false;
        }
        this.#buffer = this.#buffer.subarray(at + this.#delimiter.length);
        this.#state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        if (this.#buffer.length < 2) return false;
        const next = this.#buffer.toString('latin1', 0, 2);
        this.#buffer = this.#buffer.subarray(2);
        if (next === '--') {
          this.#state = 'done';
          this.#buffer = Buffer.alloc(0);
          return false;
        }
        if (next !== '\r\n') throw new MultipartError('a boundary is followed by neither CRLF nor "--"');
        this.#state = 'headers';
        return true;
      }
      case 'headers': {
        // A part with no header lines at all starts with the empty line right away.
        const at = this.#buffer.subarray(0, 2).equals(CRLF) ? -2 : this.#buffer.indexOf(HEADER_END);
        if (at === -1) {
          if (this.#buffer.length > MAX_HEADER_BYTES) throw new MultipartError('part headers too long');
          return false;
        }
        const headerText = at < 0 ? '' : this.#buffer.toString('utf8', 0, at);
        this.#buffer = this.#buffer.subarray(at < 0 ? 2 : at + HEADER_END.length);
        this.#sink = this.#onPart(parsePartHeaders(headerText));
        this.#state = 'body';
        return true;
      }
      case 'body': {
        const at = this.#buffer.indexOf(this.#delimiter);
        if (at < 0) {
          // Everything but a possible partial delimiter at the end is part data.
          const safe = this.#buffer.length - (this.#delimiter.length - 1);
          if (safe > 0) {
            this.#sink?.data(this.#buffer.subarray(0, safe));
            this.#buffer = this.#buffer.subarray(safe);
          }
          return false;
        }
        if (at > 0) this.#sink?.data(this.#buffer.subarray(0, at));
        this.#sink?.end();
        this.#sink = undefined;
        this.#buffer = this.#buffer.subarray(at + this.#delimiter.length);
        this.#state = 'after-delimiter';
        return true;
      }
      case 'done':
        return false;
    }
  }

  #keepTail(): void {
    const keep = this.#delimiter.length - 1;
    if (this.#buffer.length > keep) this.#buffer = this.#buffer.subarray(this.#buffer.length - keep);
  }
}

function parsePartHeaders(text: string): PartInfo {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`malformed part header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value;
  }
  if (disposition === undefined) throw new MultipartError('a part has no Content-Disposition');
  const [kind, ...rest] = splitParams(disposition);
  if (kind?.toLowerCase() !== 'form-data') {
    throw new MultipartError(`Content-Disposition must be form-data, not ${JSON.stringify(kind)}`);
  }
  const params = new Map<string, string>();
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    params.set(param.slice(0, eq).trim().toLowerCase(), unquote(param.slice(eq + 1).trim()));
  }
  const name = params.get('name');
  if (name === undefined) throw new MultipartError('a part has no name in its Content-Disposition');
  const extended = params.get('filename*');
  const filename = extended !== undefined ? decodeExtended(extended) : params.get('filename');
  return { name, filename, contentType };
}

/** Splits on `;` outside quoted strings. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted && c === '\\' && i + 1 < value.length) {
      current += c + value[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  out.push(current.trim());
  return out;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}

/** RFC 5987 `UTF-8''percent-encoded`. */
function decodeExtended(value: string): string {
  const match = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (match === null) throw new MultipartError(`malformed filename*: ${JSON.stringify(value)}`);
  const [, charset = '', encoded = ''] = match;
  if (charset.toLowerCase() !== 'utf-8') throw new MultipartError(`unsupported filename* charset ${charset}`);
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new MultipartError(`malformed filename*: ${JSON.stringify(value)}`);
  }
}

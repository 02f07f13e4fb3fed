// Text formats carry no magic number: whether bytes are plain text is decided here, by decoding.

/** Why bytes are not plain text. */
export type TextProblem = 'binary' | 'control' | 'encoding';

export type TextReading = { ok: true; text: string } | { ok: false; problem: TextProblem };

/**
 * The head of a file read as text. Accepted: UTF-8 (with or without a BOM), and UTF-16 LE/BE
 * only with a BOM (what Windows Notepad long saved as "Unicode"; browsers and editors detect it
 * by the BOM). Refused: NUL (binary data), control characters other than tab, LF, FF and CR
 * (C0, DEL and C1), and anything that does not decode. When the head is only the start of the
 * file (`truncated`), a character cut by the end of the head is dropped rather than refused.
 */
export function readText(head: Uint8Array, truncated: boolean): TextReading {
  const encoding = bomEncoding(head);
  let bytes = head;
  if (encoding === 'utf-8') {
    // NUL is valid UTF-8 but says "binary"; check it first, it is the common case for binaries.
    if (head.includes(0)) return { ok: false, problem: 'binary' };
    if (truncated) bytes = head.subarray(0, completeUtf8Length(head));
  } else if (truncated) {
    bytes = head.subarray(0, completeUtf16Length(head, encoding));
  }
  let text: string;
  try {
    // Decoding consumes a leading BOM (ignoreBOM is false by default).
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problem: 'encoding' };
  }
  const problem = controlProblem(text);
  return problem ? { ok: false, problem } : { ok: true, text };
}

type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

function bomEncoding(head: Uint8Array): TextEncoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

/** The length of `bytes` without a trailing UTF-8 sequence that the cut left incomplete. */
function completeUtf8Length(bytes: Uint8Array): number {
  const end = bytes.length;
  for (let back = 1; back <= Math.min(4, end); back++) {
    const byte = bytes[end - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead byte
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? end - back : end;
  }
  return end; // only continuation bytes: leave it to the decoder to refuse
}

/** The length of UTF-16 `bytes` without an odd trailing byte or a high surrogate left unpaired by the cut. */
function completeUtf16Length(bytes: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): number {
  let end = bytes.length - (bytes.length % 2);
  if (end >= 4) {
    const high = encoding === 'utf-16le' ? bytes[end - 1] : bytes[end - 2];
    if (high !== undefined && high >= 0xd8 && high <= 0xdb) end -= 2;
  }
  return end;
}

function controlProblem(text: string): TextProblem | undefined {
  let problem: TextProblem | undefined;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0) return 'binary';
    const allowed = code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d;
    if ((code < 0x20 && !allowed) || (code >= 0x7f && code <= 0x9f)) problem = 'control';
  }
  return problem;
}

// MediaRecorder writes WebM as a live stream: the Segment has an unknown size and its Info has
// no Duration, so players show no length and cannot seek until they have read the whole file
// (the agent's preview, Freshdesk's player). Once the recording has stopped its length is known:
// this writes it into Info. Only the file's first bytes are read and rewritten; the clusters are
// passed on as slices of the original Blob, untouched.
//
// Anything unexpected (another muxer's layout, a Segment of known size whose positions would
// shift) leaves the recording as it was: a file without a duration still plays.

const EBML_ID = 0x1a45dfa3;
const SEGMENT_ID = 0x18538067;
const INFO_ID = 0x1549a966;
const TIMECODE_SCALE_ID = 0x2ad7b1;
const DURATION_ID = 0x4489;
const VOID_ID = 0xec;
const CRC32_ID = 0xbf;

/** Info comes right after the headers; this is far more than they take. */
const HEAD_BYTES = 64 * 1024;
const DEFAULT_TIMECODE_SCALE_NS = 1_000_000;

type Element = { id: number; start: number; dataStart: number; end: number | null };

/** The element at `offset`, or null when its header runs past `bytes`. `end` is null for unknown size. */
export function readElement(bytes: Uint8Array, offset: number): Element | null {
  const id = readVint(bytes, offset, true);
  if (!id) return null;
  const size = readVint(bytes, offset + id.length, false);
  if (!size) return null;
  const dataStart = offset + id.length + size.length;
  return { id: id.value, start: offset, dataStart, end: size.unknown ? null : dataStart + size.value };
}

/** An EBML variable-length integer; element ids keep their length marker, sizes drop it. */
function readVint(
  bytes: Uint8Array,
  offset: number,
  keepMarker: boolean,
): { value: number; length: number; unknown: boolean } | null {
  const first = bytes[offset];
  if (first === undefined || first === 0) return null;
  const length = Math.clz32(first) - 23;
  if (offset + length > bytes.length) return null;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = bytes[offset + i] ?? 0;
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

/** An element with an 8-byte size, as muxers write them, so the header's length never depends on the data. */
function encodeElement(idBytes: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(idBytes.length + 8 + data.length);
  out.set(idBytes, 0);
  const size = new DataView(out.buffer, idBytes.length, 8);
  size.setUint32(0, 0x01000000 + Math.floor(data.length / 2 ** 32));
  size.setUint32(4, data.length >>> 0);
  out.set(data, idBytes.length + 8);
  return out;
}

function durationElement(duration: number): Uint8Array {
  const out = new Uint8Array(11);
  out.set([0x44, 0x89, 0x88]);
  new DataView(out.buffer).setFloat64(3, duration);
  return out;
}

function readUint(bytes: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 256 + (bytes[i] ?? 0);
  return value;
}

/**
 * The head of a live WebM with Duration added to its Info, and how many bytes of the original
 * head it replaces; null when the head is not one this knows how to change safely.
 */
export function withDuration(
  head: Uint8Array,
  durationMs: number,
): { head: Uint8Array<ArrayBuffer>; replaces: number } | null {
  const ebml = readElement(head, 0);
  if (ebml?.id !== EBML_ID || ebml.end === null) return null;
  const segment = readElement(head, ebml.end);
  // A Segment of known size has positions (SeekHead, Cues) that inserting bytes would break.
  if (segment?.id !== SEGMENT_ID || segment.end !== null) return null;

  let offset = segment.dataStart;
  for (;;) {
    const child = readElement(head, offset);
    if (!child || child.end === null || child.end > head.length) return null;
    if (child.id === INFO_ID) return rewriteInfo(head, { ...child, end: child.end }, durationMs);
    // Only padding may come first: a SeekHead holds positions that inserting bytes would shift.
    if (child.id !== VOID_ID && child.id !== CRC32_ID) return null;
    offset = child.end;
  }
}

function rewriteInfo(
  head: Uint8Array,
  info: Element & { end: number },
  durationMs: number,
): { head: Uint8Array<ArrayBuffer>; replaces: number } | null {
  let timecodeScale = DEFAULT_TIMECODE_SCALE_NS;
  for (let offset = info.dataStart; offset < info.end; ) {
    const child = readElement(head, offset);
    if (!child || child.end === null || child.end > info.end) return null;
    if (child.id === DURATION_ID) return null;
    if (child.id === TIMECODE_SCALE_ID) timecodeScale = readUint(head, child.dataStart, child.end);
    offset = child.end;
  }
  if (timecodeScale <= 0) return null;
  const duration = (durationMs * 1_000_000) / timecodeScale;
  const data = new Uint8Array(info.end - info.dataStart + 11);
  data.set(head.subarray(info.dataStart, info.end), 0);
  data.set(durationElement(duration), info.end - info.dataStart);
  const idBytes = head.subarray(info.start, info.start + 4);
  const rewritten = encodeElement(idBytes, data);
  const out = new Uint8Array(info.start + rewritten.length);
  out.set(head.subarray(0, info.start), 0);
  out.set(rewritten, info.start);
  return { head: out, replaces: info.end };
}

/** `recording` with its duration written in, or `recording` itself when that cannot be done safely. */
export async function addWebmDuration(recording: Blob, durationMs: number): Promise<Blob> {
  if (!/^(audio|video)\/webm\b/.test(recording.type) || !(durationMs > 0)) return recording;
  const head = new Uint8Array(await recording.slice(0, HEAD_BYTES).arrayBuffer());
  const patched = withDuration(head, durationMs);
  if (!patched) return recording;
  return new Blob([patched.head, recording.slice(patched.replaces)], { type: recording.type });
}

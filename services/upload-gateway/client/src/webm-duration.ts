// MediaRecorder writes WebM as a live stream: players show no length and cannot seek until they
// have read the whole file (the agent's preview, Freshdesk's player). Chromium's Info has no
// Duration; Firefox's starts with a SeekHead and its Info holds a Duration of 0. Once the
// recording has stopped its length is known: this writes it into Info, in place over a Duration
// of 0, or added to Info (moving the SeekHead's positions after it along). Only the file's first
// bytes are read and rewritten; the clusters are passed on as slices of the original Blob,
// untouched.
//
// Anything unexpected (another muxer's layout, a Segment of known size whose positions would
// shift) leaves the recording as it was: a file without a duration still plays.

const EBML_ID = 0x1a45dfa3;
const SEGMENT_ID = 0x18538067;
const INFO_ID = 0x1549a966;
const TIMECODE_SCALE_ID = 0x2ad7b1;
const DURATION_ID = 0x4489;
const SEEK_HEAD_ID = 0x114d9b74;
const SEEK_ID = 0x4dbb;
const SEEK_POSITION_ID = 0x53ac;
const VOID_ID = 0xec;
const CRC32_ID = 0xbf;
/** A Duration element with an 8-byte float: 2 id bytes, 1 size byte, 8 data bytes. */
const DURATION_ELEMENT_BYTES = 11;

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

type Patched = { head: Uint8Array<ArrayBuffer>; replaces: number };

/**
 * The head of a live WebM with its duration written into Info, and how many bytes of the
 * original head it replaces; null when the head is not one this knows how to change safely.
 */
export function withDuration(head: Uint8Array, durationMs: number): Patched | null {
  const ebml = readElement(head, 0);
  if (ebml?.id !== EBML_ID || ebml.end === null) return null;
  const segment = readElement(head, ebml.end);
  // A Segment of known size would have to grow, and its size may sit in too few bytes.
  if (segment?.id !== SEGMENT_ID || segment.end !== null) return null;

  const seekHeads: Bounded[] = [];
  let offset = segment.dataStart;
  for (;;) {
    const child = bounded(readElement(head, offset), head.length);
    if (!child) return null;
    if (child.id === INFO_ID) return rewriteInfo(head, child, durationMs, { segment, seekHeads });
    if (child.id === SEEK_HEAD_ID) seekHeads.push(child);
    // Anything else before Info (Tracks, a Cluster) is a layout this does not know.
    else if (child.id !== VOID_ID && child.id !== CRC32_ID) return null;
    offset = child.end;
  }
}

type Bounded = Element & { end: number };

/** `element` when it has a known size and ends within `limit`. */
function bounded(element: Element | null, limit: number): Bounded | null {
  return element && element.end !== null && element.end <= limit ? { ...element, end: element.end } : null;
}

/** The children of `parent`, or null when one does not fit inside it. */
function childrenOf(head: Uint8Array, parent: Bounded): Bounded[] | null {
  const children: Bounded[] = [];
  for (let offset = parent.dataStart; offset < parent.end; ) {
    const child = bounded(readElement(head, offset), parent.end);
    if (!child) return null;
    children.push(child);
    offset = child.end;
  }
  return children;
}

function rewriteInfo(
  head: Uint8Array,
  info: Bounded,
  durationMs: number,
  context: { segment: Element; seekHeads: Bounded[] },
): Patched | null {
  const children = childrenOf(head, info);
  if (!children) return null;
  const scale = children.find((child) => child.id === TIMECODE_SCALE_ID);
  const timecodeScale = scale ? readUint(head, scale.dataStart, scale.end) : DEFAULT_TIMECODE_SCALE_NS;
  if (timecodeScale <= 0) return null;
  const duration = (durationMs * 1_000_000) / timecodeScale;

  const existing = children.find((child) => child.id === DURATION_ID);
  if (existing) return overwriteDuration(head, existing, duration);

  const data = new Uint8Array(info.end - info.dataStart + DURATION_ELEMENT_BYTES);
  data.set(head.subarray(info.dataStart, info.end), 0);
  data.set(durationElement(duration), info.end - info.dataStart);
  const rewritten = encodeElement(head.subarray(info.start, info.start + 4), data);
  const out = new Uint8Array(info.start + rewritten.length);
  out.set(head.subarray(0, info.start), 0);
  out.set(rewritten, info.start);
  // Everything after Info moves along: the SeekHead's positions (relative to the Segment's data) follow.
  const infoPosition = info.start - context.segment.dataStart;
  const shift = out.length - info.end;
  for (const seekHead of context.seekHeads) {
    if (!moveSeekPositions(out, seekHead, infoPosition, shift)) return null;
  }
  return { head: out, replaces: info.end };
}

/**
 * A Duration already there (Firefox writes 0) is overwritten in place when it is 0: nothing
 * moves. A muxer's own non-zero Duration is left as it is.
 */
function overwriteDuration(head: Uint8Array, existing: Bounded, duration: number): Patched | null {
  const length = existing.end - existing.dataStart;
  if (length !== 4 && length !== 8) return null;
  const view = new DataView(head.buffer, head.byteOffset + existing.dataStart, length);
  const current = length === 8 ? view.getFloat64(0) : view.getFloat32(0);
  if (current !== 0) return null;
  const out = head.slice(0, existing.end);
  const target = new DataView(out.buffer, existing.dataStart, length);
  if (length === 8) target.setFloat64(0, duration);
  else target.setFloat32(0, duration);
  return { head: out, replaces: existing.end };
}

/**
 * Adds `shift` to every SeekPosition in `seekHead` (already copied into `out`) that points past
 * `infoPosition`, in the bytes it has; false when a Seek is malformed or its position outgrows them.
 */
function moveSeekPositions(out: Uint8Array, seekHead: Bounded, infoPosition: number, shift: number): boolean {
  const seeks = childrenOf(out, seekHead);
  if (!seeks) return false;
  for (const seek of seeks) {
    if (seek.id !== SEEK_ID) continue;
    const position = childrenOf(out, seek)?.find((child) => child.id === SEEK_POSITION_ID);
    if (!position) return false;
    const value = readUint(out, position.dataStart, position.end);
    if (value <= infoPosition) continue;
    const moved = value + shift;
    const width = position.end - position.dataStart;
    if (width > 6 || moved >= 2 ** (8 * width)) return false;
    for (let i = 0, rest = moved; i < width; i++, rest = Math.floor(rest / 256)) {
      out[position.end - 1 - i] = rest % 256;
    }
  }
  return true;
}

/** `recording` with its duration written in, or `recording` itself when that cannot be done safely. */
export async function addWebmDuration(recording: Blob, durationMs: number): Promise<Blob> {
  if (!/^(audio|video)\/webm\b/.test(recording.type) || !(durationMs > 0)) return recording;
  const head = new Uint8Array(await recording.slice(0, HEAD_BYTES).arrayBuffer());
  const patched = withDuration(head, durationMs);
  if (!patched) return recording;
  return new Blob([patched.head, recording.slice(patched.replaces)], { type: recording.type });
}

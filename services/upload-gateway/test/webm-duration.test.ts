// The page writes the recording's duration into the WebM MediaRecorder made. These build the
// head of such a file element by element, the way Chromium and Firefox lay it out (the engine
// tests check a real recording of each plays with its length).
import { describe, expect, it } from 'vitest';
import { addWebmDuration, readElement, withDuration } from '../client/src/webm-duration.ts';

const UNKNOWN_SIZE = [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function element(id: number[], data: number[] | Uint8Array, size?: number[]): number[] {
  const bytes = [...data];
  return [...id, ...(size ?? [0x80 | bytes.length]), ...bytes];
}

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
const ebmlHeader = element([0x1a, 0x45, 0xdf, 0xa3], element([0x42, 0x82], ascii('webm')));
const timecodeScale = (ns: number) =>
  element([0x2a, 0xd7, 0xb1], [(ns >> 16) & 0xff, (ns >> 8) & 0xff, ns & 0xff]);
const info = (...children: number[][]) => element([0x15, 0x49, 0xa9, 0x66], children.flat());
const tracks = element([0x16, 0x54, 0xae, 0x6b], element([0xae], element([0xd7], [1])));
const cluster = element([0x1f, 0x43, 0xb6, 0x75], element([0xe7], [0]), UNKNOWN_SIZE);
const durationOf = (ms: number, width: 4 | 8 = 8) => {
  const bytes = new Uint8Array(width);
  if (width === 8) new DataView(bytes.buffer).setFloat64(0, ms);
  else new DataView(bytes.buffer).setFloat32(0, ms);
  return element([0x44, 0x89], bytes);
};
const SEEK_HEAD_ID = [0x11, 0x4d, 0x9b, 0x74];
/** A Seek entry: the element `id` is at `position` (from the Segment's data), in 4 bytes. */
const seek = (id: number[], position: number) =>
  element(
    [0x4d, 0xbb],
    [
      ...element([0x53, 0xab], id),
      ...element(
        [0x53, 0xac],
        [position >>> 24, (position >> 16) & 0xff, (position >> 8) & 0xff, position & 0xff],
      ),
    ],
  );

function webm(...segmentChildren: number[][]): Uint8Array {
  return Uint8Array.from([
    ...ebmlHeader,
    ...element([0x18, 0x53, 0x80, 0x67], segmentChildren.flat(), UNKNOWN_SIZE),
  ]);
}

/** Info's children as [id, value bytes]. */
function infoChildren(file: Uint8Array): Map<number, Uint8Array> {
  const header = readElement(file, 0);
  const segment = header?.end != null ? readElement(file, header.end) : null;
  if (!segment) throw new Error('no segment');
  let offset = segment.dataStart;
  for (;;) {
    const child = readElement(file, offset);
    if (!child || child.end === null) throw new Error('no Info');
    if (child.id === 0x1549a966) {
      const found = new Map<number, Uint8Array>();
      for (let at = child.dataStart; at < child.end; ) {
        const field = readElement(file, at);
        if (!field || field.end === null) throw new Error('bad Info child');
        found.set(field.id, file.subarray(field.dataStart, field.end));
        at = field.end;
      }
      return found;
    }
    offset = child.end;
  }
}

const float = (bytes: Uint8Array | undefined) => {
  if (!bytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return bytes.length === 4 ? view.getFloat32(0) : view.getFloat64(0);
};

/** The SeekHead's SeekPositions in `file`, in order. */
function seekPositions(file: Uint8Array): number[] {
  const header = readElement(file, 0);
  const segment = header?.end != null ? readElement(file, header.end) : null;
  const seekHead = segment ? readElement(file, segment.dataStart) : null;
  if (seekHead?.end == null) throw new Error('no SeekHead');
  const positions: number[] = [];
  for (let at = seekHead.dataStart; at < seekHead.end; ) {
    const entry = readElement(file, at);
    if (entry?.end == null) throw new Error('bad Seek');
    const position = readElement(file, readElement(file, entry.dataStart)?.end ?? 0);
    if (position?.end == null) throw new Error('bad SeekPosition');
    positions.push(new DataView(file.buffer, file.byteOffset + position.dataStart, 4).getUint32(0));
    at = entry.end;
  }
  return positions;
}

describe('writing the duration into a recorded WebM', () => {
  it('adds Duration to Info in milliseconds at the default timecode scale, leaving the rest as it was', async () => {
    const original = webm(
      info(timecodeScale(1_000_000), element([0x4d, 0x80], ascii('Chrome'))),
      tracks,
      cluster,
    );
    const recording = new Blob([original], { type: 'audio/webm;codecs=opus' });

    const fixed = await addWebmDuration(recording, 1234.5);
    const bytes = new Uint8Array(await fixed.arrayBuffer());

    expect(fixed.type).toBe('audio/webm;codecs=opus');
    const fields = infoChildren(bytes);
    expect(float(fields.get(0x4489))).toBe(1234.5);
    expect(new TextDecoder().decode(fields.get(0x4d80))).toBe('Chrome');
    // Tracks and the clusters are byte for byte the original's tail.
    const tail = tracks.length + cluster.length;
    expect(bytes.subarray(bytes.length - tail)).toEqual(original.subarray(original.length - tail));
    // What comes before Info is untouched.
    const infoStart = ebmlHeader.length + 4 + UNKNOWN_SIZE.length;
    expect(bytes.subarray(0, infoStart)).toEqual(original.subarray(0, infoStart));
  });

  it('writes the duration in the units of the file’s own timecode scale', () => {
    const patched = withDuration(webm(info(timecodeScale(500_000)), tracks), 2000);
    expect(float(infoChildren(patched?.head ?? new Uint8Array()).get(0x4489))).toBe(4000);
  });

  it('skips padding before Info', () => {
    const padded = webm(element([0xec], [0, 0, 0]), info(timecodeScale(1_000_000)), tracks);
    expect(withDuration(padded, 10)).not.toBeNull();
  });

  it('overwrites a Duration of 0 in place, as Firefox writes it after a SeekHead: nothing moves', async () => {
    for (const width of [8, 4] as const) {
      const original = webm(
        element(SEEK_HEAD_ID, [...seek([0x15, 0x49, 0xa9, 0x66], 30), ...seek([0x16, 0x54, 0xae, 0x6b], 80)]),
        info(timecodeScale(1_000_000), durationOf(0, width), element([0x4d, 0x80], ascii('Firefox'))),
        tracks,
        cluster,
      );
      const fixed = await addWebmDuration(new Blob([original], { type: 'video/webm' }), 2500);
      const bytes = new Uint8Array(await fixed.arrayBuffer());

      expect(bytes.length).toBe(original.length);
      expect(float(infoChildren(bytes).get(0x4489))).toBe(2500);
      const differing = [...bytes.keys()].filter((at) => bytes[at] !== original[at]);
      expect(differing.length).toBeGreaterThan(0);
      expect(differing.length).toBeLessThanOrEqual(width);
    }
  });

  it('adds Duration after a SeekHead and moves the positions after Info along by what Info grew', async () => {
    const infoElement = info(timecodeScale(1_000_000));
    const seekHeadLength = SEEK_HEAD_ID.length + 1 + 2 * seek([0x15, 0x49, 0xa9, 0x66], 0).length;
    const infoPosition = seekHeadLength;
    const tracksPosition = infoPosition + infoElement.length;
    const original = webm(
      element(SEEK_HEAD_ID, [
        ...seek([0x15, 0x49, 0xa9, 0x66], infoPosition),
        ...seek([0x16, 0x54, 0xae, 0x6b], tracksPosition),
      ]),
      infoElement,
      tracks,
      cluster,
    );
    expect(seekPositions(original)).toEqual([infoPosition, tracksPosition]);

    const fixed = await addWebmDuration(new Blob([original], { type: 'audio/webm' }), 900);
    const bytes = new Uint8Array(await fixed.arrayBuffer());

    expect(float(infoChildren(bytes).get(0x4489))).toBe(900);
    const grew = bytes.length - original.length;
    expect(grew).toBeGreaterThan(0);
    expect(seekPositions(bytes)).toEqual([infoPosition, tracksPosition + grew]);
    // Where the SeekHead now points is Tracks.
    const segmentData = ebmlHeader.length + 4 + UNKNOWN_SIZE.length;
    expect(readElement(bytes, segmentData + tracksPosition + grew)?.id).toBe(0x1654ae6b);
  });

  it.each([
    [
      'a Segment of known size, whose positions would shift',
      () => Uint8Array.from([...ebmlHeader, ...element([0x18, 0x53, 0x80, 0x67], [...info(), ...tracks])]),
    ],
    ['Tracks before Info', () => webm(tracks, info(), cluster)],
    ['a file that already has a Duration', () => webm(info(durationOf(5)), tracks)],
    [
      'a SeekHead whose position after Info would outgrow its one byte',
      () => webm(element(SEEK_HEAD_ID, element([0x4d, 0xbb], element([0x53, 0xac], [0xfa]))), info(), tracks),
    ],
    ['something that is not EBML', () => Uint8Array.from(ascii('RIFF....WAVE'))],
    [
      'a head cut off inside Info',
      () => {
        const whole = webm(info(timecodeScale(1_000_000)));
        return whole.subarray(0, whole.length - 2);
      },
    ],
  ])('leaves %s as it was', async (_, build) => {
    const original = build();
    expect(withDuration(original, 1000)).toBeNull();
    const recording = new Blob([original], { type: 'video/webm' });
    expect(await addWebmDuration(recording, 1000)).toBe(recording);
  });

  it('leaves other formats and unknown lengths alone', async () => {
    const mp4 = new Blob([webm(info(), tracks)], { type: 'audio/mp4' });
    expect(await addWebmDuration(mp4, 1000)).toBe(mp4);
    const webmFile = new Blob([webm(info(), tracks)], { type: 'audio/webm' });
    expect(await addWebmDuration(webmFile, 0)).toBe(webmFile);
    expect(await addWebmDuration(webmFile, Number.NaN)).toBe(webmFile);
  });
});

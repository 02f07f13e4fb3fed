// The package is a zip every unzip reads: each entry's name, size, CRC-32 and deflated bytes.
import { crc32, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildAppFiles } from '../build/build-app.ts';
import { zip } from '../build/zip.ts';

/** The entries of a zip, read from its central directory as an unzip tool does. */
function unzip(archive: Buffer): Map<string, Buffer> {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = archive.readUInt16LE(end + 10);
  let at = archive.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let index = 0; index < count; index++) {
    expect(archive.readUInt32LE(at)).toBe(0x02014b50);
    const method = archive.readUInt16LE(at + 10);
    const checksum = archive.readUInt32LE(at + 16);
    const compressedSize = archive.readUInt32LE(at + 20);
    const size = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const localOffset = archive.readUInt32LE(at + 42);
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    expect(archive.readUInt32LE(localOffset)).toBe(0x04034b50);
    const dataStart =
      localOffset + 30 + archive.readUInt16LE(localOffset + 26) + archive.readUInt16LE(localOffset + 28);
    expect(method).toBe(8);
    const data = inflateRawSync(archive.subarray(dataStart, dataStart + compressedSize));
    expect(data.length, name).toBe(size);
    expect(crc32(data), name).toBe(checksum);
    entries.set(name, data);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

describe('the Freshdesk app package', () => {
  it('holds every file of the app at the archive root, byte for byte', () => {
    const files = buildAppFiles();
    const entries = unzip(zip(files));
    expect([...entries.keys()]).toEqual([...files.keys()]);
    expect(entries.has('manifest.json')).toBe(true);
    for (const [name, data] of files) expect(entries.get(name)?.equals(data), name).toBe(true);
  });

  it('is the same bytes for the same files', () => {
    const files = new Map([['a.txt', Buffer.from('same')]]);
    expect(zip(files).equals(zip(files))).toBe(true);
  });
});

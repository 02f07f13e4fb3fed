import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { MEDIA_CATEGORIES, MEDIA_TYPES, type MediaCategory, type UploadKind } from '@uplink/contracts';
import { heicPhoto } from '@uplink/testing';
import { describe, expect, it } from 'vitest';
import { checkContent, SNIFF_BYTES } from './content-check.ts';
import { ALIASES, LEGACY_OFFICE, ZIP_DOCUMENTS } from './sniffed-types.ts';

// Minimal but genuine files, built byte by byte.

type Part = Uint8Array | string | readonly number[];

function bytes(...parts: Part[]): Uint8Array {
  const arrays = parts.map((part) =>
    typeof part === 'string'
      ? Uint8Array.from(part, (char) => char.charCodeAt(0))
      : part instanceof Uint8Array
        ? part
        : Uint8Array.from(part),
  );
  const out = new Uint8Array(arrays.reduce((sum, array) => sum + array.length, 0));
  let at = 0;
  for (const array of arrays) {
    out.set(array, at);
    at += array.length;
  }
  return out;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const u16 = (value: number) => [value & 0xff, (value >> 8) & 0xff];
const u32 = (value: number) => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
const u32be = (value: number) => [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  return bytes(u32be(data.length), type, data, u32be(crc32(bytes(type, data))));
}

const png = bytes(
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  pngChunk('IHDR', bytes(u32be(1), u32be(1), [8, 2, 0, 0, 0])), // 1x1, 8-bit RGB
  pngChunk('IDAT', deflateSync(Uint8Array.of(0, 0x33, 0x99, 0x33))),
  pngChunk('IEND', new Uint8Array()),
);

const jpeg = bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF\0', [1, 1, 0, 0, 1, 0, 1, 0, 0], [0xff, 0xd9]);

const gif = bytes(
  'GIF89a',
  [1, 0, 1, 0, 0, 0, 0], // 1x1, no colour table
  [0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0], // image descriptor
  [2, 2, 0x44, 0x01, 0], // LZW data
  [0x3b],
);

const wavSamples = new Uint8Array(16);
const wav = bytes(
  'RIFF',
  u32(36 + wavSamples.length),
  'WAVE',
  'fmt ',
  u32(16),
  u16(1), // PCM
  u16(1), // mono
  u32(8000),
  u32(16000),
  u16(2),
  u16(16),
  'data',
  u32(wavSamples.length),
  wavSamples,
);

const pdf = bytes(
  '%PDF-1.4\n%',
  [0xe2, 0xe3, 0xcf, 0xd3],
  '\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n',
  '2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n',
  'trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n0\n%%EOF\n',
);

function windowsProgram(): Uint8Array {
  const exe = new Uint8Array(512);
  exe.set(bytes('MZ'), 0);
  exe.set(u32(0x80), 0x3c); // e_lfanew: where the PE header is
  exe.set(bytes('This program cannot be run in DOS mode.'), 0x4e);
  exe.set(bytes('PE\0\0', u16(0x14c), u16(1)), 0x80); // i386, one section
  return exe;
}

type ZipEntry = { name: string; data: Uint8Array | string };

/** A ZIP of stored (uncompressed) entries: local file headers, central directory, end record. */
function zip(entries: readonly ZipEntry[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = utf8(entry.name);
    const data = typeof entry.data === 'string' ? utf8(entry.data) : entry.data;
    const crc = crc32(data);
    const common = [
      ...u16(0),
      ...u16(0),
      ...u16(0),
      ...u16(0x21),
      ...u32(crc),
      ...u32(data.length),
      ...u32(data.length),
    ];
    const local = bytes(u32(0x04034b50), u16(20), common, u16(name.length), u16(0), name, data);
    centrals.push(
      bytes(
        u32(0x02014b50),
        u16(20),
        u16(20),
        common,
        u16(name.length),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        u32(0),
      ),
      bytes(u32(offset), name),
    );
    locals.push(local);
    offset += local.length;
  }
  const directory = bytes(...centrals);
  const end = bytes(
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(entries.length),
    u16(entries.length),
    u32(directory.length),
    u32(offset),
    u16(0),
  );
  return bytes(...locals, directory, end);
}

const contentTypes = (mainType: string) =>
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  `<Override PartName="/word/document.xml" ContentType="${mainType}"/></Types>`;

const wordXml =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
  '<w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>';

const docx = zip([
  {
    name: '[Content_Types].xml',
    data: contentTypes('application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'),
  },
  { name: 'word/document.xml', data: wordXml },
]);

const docm = zip([
  {
    name: '[Content_Types].xml',
    data: contentTypes('application/vnd.ms-word.document.macroEnabled.main+xml'),
  },
  { name: 'word/document.xml', data: wordXml },
  { name: 'word/vbaProject.bin', data: new Uint8Array(64) },
]);

const odt = zip([
  { name: 'mimetype', data: 'application/vnd.oasis.opendocument.text' },
  { name: 'content.xml', data: '<?xml version="1.0"?><office:document-content/>' },
]);

/** An OOXML file whose [Content_Types].xml comes after a media entry larger than the head. */
const docxWithLateContentTypes = zip([
  { name: 'media/video1.mp4', data: new Uint8Array(SNIFF_BYTES + 1024) },
  {
    name: '[Content_Types].xml',
    data: contentTypes('application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'),
  },
]);

const jar = zip([
  { name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\nMain-Class: Evil\n' },
  { name: 'Evil.class', data: new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]) },
]);

const plainZip = zip([{ name: 'notes/readme.txt', data: 'hello' }]);

/** An EBML element with a one-byte size (payloads under 127 bytes). */
function ebml(id: readonly number[], payload: Uint8Array | readonly number[]): Uint8Array {
  const data = bytes(payload);
  return bytes(id, [0x80 | data.length], data);
}

function matroska(docType: 'webm' | 'matroska'): Uint8Array {
  const header = ebml(
    [0x1a, 0x45, 0xdf, 0xa3],
    bytes(
      ebml([0x42, 0x86], [1]), // EBMLVersion
      ebml([0x42, 0xf7], [1]), // EBMLReadVersion
      ebml([0x42, 0xf2], [4]), // EBMLMaxIDLength
      ebml([0x42, 0xf3], [8]), // EBMLMaxSizeLength
      ebml([0x42, 0x82], bytes(docType)), // DocType
      ebml([0x42, 0x87], [4]), // DocTypeVersion
      ebml([0x42, 0x85], [2]), // DocTypeReadVersion
    ),
  );
  // A Segment of unknown size, as MediaRecorder writes it, starting with an Info element.
  const segment = bytes([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const info = ebml([0x15, 0x49, 0xa9, 0x66], ebml([0x2a, 0xd7, 0xb1], u32be(1_000_000)));
  return bytes(header, segment, info);
}

function box(type: string, payload: Uint8Array | readonly number[] = []): Uint8Array {
  const data = bytes(payload);
  return bytes(u32be(8 + data.length), type, data);
}

function isoMedia(major: string, compatible: readonly string[]): Uint8Array {
  return bytes(
    box('ftyp', bytes(major, u32be(0x200), ...compatible)),
    box('free'),
    box('mdat', new Uint8Array(32)),
  );
}

const mp4 = isoMedia('isom', ['isom', 'iso2', 'avc1', 'mp41']);
const m4a = isoMedia('M4A ', ['M4A ', 'isom', 'mp42']);

/** A compound file (CFB) with one directory sector holding the root entry with `clsid`. */
function compoundFile(clsid: readonly number[]): Uint8Array {
  const file = new Uint8Array(3 * 512);
  const view = new DataView(file.buffer);
  file.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
  view.setUint16(24, 0x3e, true); // minor version
  view.setUint16(26, 3, true); // major version 3: 512-byte sectors
  view.setUint16(28, 0xfffe, true); // byte order
  view.setUint16(30, 9, true); // sector shift
  view.setUint16(32, 6, true); // mini sector shift
  view.setUint32(44, 1, true); // one FAT sector
  view.setUint32(48, 0, true); // first directory sector: sector 0
  view.setUint32(56, 4096, true); // mini stream cutoff
  view.setUint32(60, 0xfffffffe, true); // no mini FAT
  view.setUint32(68, 0xfffffffe, true); // no DIFAT sectors
  file.fill(0xff, 76, 512); // DIFAT entries: free...
  view.setUint32(76, 1, true); // ...but the first: the FAT is sector 1
  const root = 512;
  file.set(bytes(...Array.from('Root Entry', (char) => u16(char.charCodeAt(0)))), root);
  view.setUint16(root + 64, 22, true); // name length in bytes, with the terminator
  file[root + 66] = 5; // root storage
  view.setUint32(root + 68, 0xffffffff, true); // no siblings
  view.setUint32(root + 72, 0xffffffff, true);
  view.setUint32(root + 76, 0xffffffff, true); // no children
  file.set(clsid, root + 80);
  view.setUint32(root + 116, 0xfffffffe, true); // empty mini stream
  const fat = 1024;
  file.fill(0xff, fat);
  view.setUint32(fat, 0xfffffffe, true); // sector 0 (directory): end of chain
  view.setUint32(fat + 4, 0xfffffffd, true); // sector 1: a FAT sector
  return file;
}

const WORD_CLSID = [0x06, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0, 0, 0, 0, 0, 0, 0x46];
const MSI_CLSID = [0x84, 0x10, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0, 0, 0, 0, 0, 0, 0x46];

const cleanSvg = utf8(
  '<?xml version="1.0" encoding="UTF-8"?>\n<!-- company logo -->\n' +
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' +
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10">' +
    '<rect width="10" height="10" fill="#0a0"/><text x="1" y="8">Only text</text></svg>\n',
);

const svg = (body: string, rootAttributes = '') =>
  utf8(`<svg xmlns="http://www.w3.org/2000/svg"${rootAttributes}>${body}</svg>`);

// The check itself.

type Declared = Parameters<typeof checkContent>[1];

function declared(kind: UploadKind, contentType: string, fileName: string, size: number): Declared {
  return { kind, contentType, fileName, size };
}

/** The whole file as the head, as the route passes it for files up to SNIFF_BYTES. */
function check(
  file: Uint8Array,
  kind: UploadKind,
  contentType: string,
  fileName: string,
  allowed: readonly MediaCategory[] = MEDIA_CATEGORIES,
) {
  return checkContent(file, declared(kind, contentType, fileName, file.length), allowed);
}

describe('checkContent', () => {
  describe('accepts each category by its content', () => {
    it.each([
      ['PNG', png, 'image/png', 'photo.png', 'image/png', 'image'],
      ['JPEG', jpeg, 'image/jpeg', 'photo.jpg', 'image/jpeg', 'image'],
      ['GIF', gif, 'image/gif', 'anim.gif', 'image/gif', 'image'],
      ['WAV', wav, 'audio/wav', 'memo.wav', 'audio/wav', 'audio'],
      ['MP4 video', mp4, 'video/mp4', 'clip.mp4', 'video/mp4', 'video'],
      ['M4A', m4a, 'audio/mp4', 'memo.m4a', 'audio/mp4', 'audio'],
      ['PDF', pdf, 'application/pdf', 'invoice.pdf', 'application/pdf', 'document'],
      ['DOCX', docx, '', 'letter.docx', ZIP_DOCUMENTS[0], 'document'],
      ['ODT', odt, 'application/vnd.oasis.opendocument.text', 'letter.odt', ZIP_DOCUMENTS[3], 'document'],
      [
        'legacy Word (CFB)',
        compoundFile(WORD_CLSID),
        'application/msword',
        'old.doc',
        LEGACY_OFFICE[0],
        'document',
      ],
      [
        'legacy Excel by extension',
        compoundFile(WORD_CLSID),
        'application/octet-stream',
        'old.xls',
        LEGACY_OFFICE[1],
        'document',
      ],
      ['ZIP', plainZip, 'application/zip', 'files.zip', 'application/zip', 'archive'],
      [
        'gzip',
        gzipSync(utf8('log line\n'.repeat(50))),
        'application/gzip',
        'logs.gz',
        'application/gzip',
        'archive',
      ],
      [
        'UTF-8 text',
        utf8('Grüße, 10 € — ok\r\n\tindented\f\n'),
        'text/plain',
        'notes.txt',
        'text/plain',
        'document',
      ],
      ['CSV', utf8('name,amount\nÅsa,12\n'), 'text/csv', 'export.csv', 'text/plain', 'document'],
      ['SVG', cleanSvg, 'image/svg+xml', 'logo.svg', 'image/svg+xml', 'image'],
      ['HEIC (an iPhone photo)', heicPhoto(), 'image/heic', 'IMG_0001.HEIC', 'image/heic', 'image'],
      ['HEIC picked without a type', heicPhoto(), '', 'IMG_0001.heic', 'image/heic', 'image'],
      ['HEIC declared as HEIF', heicPhoto(), 'image/heif', 'photo.heif', 'image/heif', 'image'],
    ] as const)('%s', async (_name, file, contentType, fileName, expectedType, category) => {
      expect(await check(file, 'file', contentType, fileName)).toEqual({
        ok: true,
        contentType: expectedType,
        category,
      });
    });
  });

  describe('recordings: containers that hold audio or video', () => {
    it('accepts a WebM audio recording (Chrome, Firefox) as audio/webm', async () => {
      const result = await check(matroska('webm'), 'audio', 'audio/webm;codecs=opus', 'recording.webm');
      expect(result).toEqual({ ok: true, contentType: 'audio/webm', category: 'audio' });
    });

    it('accepts a WebM video recording as video/webm', async () => {
      const result = await check(matroska('webm'), 'video', 'video/webm;codecs=vp8,opus', 'recording.webm');
      expect(result).toEqual({ ok: true, contentType: 'video/webm', category: 'video' });
    });

    it('takes the audio reading of a WebM declared as video but recorded as audio', async () => {
      const result = await check(matroska('webm'), 'audio', 'video/webm', 'recording.webm');
      expect(result).toEqual({ ok: true, contentType: 'audio/webm', category: 'audio' });
    });

    it('accepts an MP4 audio recording (Safari, brand isom) as audio/mp4', async () => {
      const result = await check(mp4, 'audio', 'audio/mp4', 'recording.mp4');
      expect(result).toEqual({ ok: true, contentType: 'audio/mp4', category: 'audio' });
    });

    it('accepts a Matroska recording declared as WebM audio', async () => {
      const result = await check(matroska('matroska'), 'audio', 'audio/webm', 'recording.webm');
      expect(result).toEqual({ ok: true, contentType: 'audio/webm', category: 'audio' });
    });

    it('reads a picked Matroska file as MKV', async () => {
      const result = await check(matroska('matroska'), 'file', 'video/x-matroska', 'film.mkv');
      expect(result).toEqual({ ok: true, contentType: 'video/x-matroska', category: 'video' });
    });

    it('refuses an M4A (audio-only brand) sent as a video recording', async () => {
      const result = await check(m4a, 'video', 'video/mp4', 'recording.mp4');
      expect(result).toEqual({
        ok: false,
        reason: "The recording's content is an MP4 (M4A) audio file, not a video.",
      });
    });

    it('refuses a PNG sent as an audio recording', async () => {
      const result = await check(png, 'audio', 'audio/webm', 'recording.webm');
      expect(result).toEqual({ ok: false, reason: "The recording's content is a PNG image, not audio." });
    });
  });

  describe('declared type versus content', () => {
    it('accepts a HEIC declared as JPEG as what it is, and no HEIC recording', async () => {
      expect(await check(heicPhoto(), 'file', 'image/jpeg', 'photo.jpg')).toEqual({
        ok: true,
        contentType: 'image/heic',
        category: 'image',
      });
      expect(await check(heicPhoto(), 'video', 'video/mp4', 'video.mp4')).toMatchObject({ ok: false });
      // A HEIF image sequence (brand msf1) is not a photo.
      const sequence = heicPhoto();
      sequence.set(utf8('msf1'), 8);
      expect(await check(sequence, 'file', 'image/heif', 'burst.heif')).toMatchObject({ ok: false });
    });

    it('accepts a JPEG declared as PNG, as what it is', async () => {
      const result = await check(jpeg, 'file', 'image/png', 'photo.png');
      expect(result).toEqual({ ok: true, contentType: 'image/jpeg', category: 'image' });
    });

    it('refuses a Windows program renamed .pdf, naming what it is', async () => {
      const result = await check(windowsProgram(), 'file', 'application/pdf', 'invoice.pdf');
      expect(result).toEqual({
        ok: false,
        reason: "The file's content is a Windows program (EXE), not a PDF document.",
      });
    });

    it('refuses a Java program packed as ZIP even when declared as ZIP', async () => {
      const result = await check(jar, 'file', 'application/zip', 'tools.zip');
      expect(result).toEqual({
        ok: false,
        reason: "The file's content is a Java program (JAR), not a ZIP archive.",
      });
    });

    it('refuses a macro-enabled document declared as DOCX', async () => {
      const result = await check(docm, 'file', ZIP_DOCUMENTS[0] ?? '', 'letter.docx');
      expect(result).toEqual({
        ok: false,
        reason: "The file's content is a macro-enabled Office document (DOCM), not a Word document.",
      });
    });

    it('accepts a macro-enabled document declared as ZIP, as a ZIP', async () => {
      const result = await check(docm, 'file', 'application/zip', 'letter.zip');
      expect(result).toEqual({ ok: true, contentType: 'application/zip', category: 'archive' });
    });

    it('refuses a Windows Installer in a compound file declared as .doc', async () => {
      const result = await check(compoundFile(MSI_CLSID), 'file', 'application/msword', 'old.doc');
      expect(result).toEqual({
        ok: false,
        reason: "The file's content is a Windows installer (MSI), not a Word document.",
      });
    });

    it('refuses a compound file declared as something other than legacy Office', async () => {
      const result = await check(compoundFile(WORD_CLSID), 'file', 'application/pdf', 'report.pdf');
      expect(result.ok).toBe(false);
    });

    it('refuses an empty head and an unknown binary', async () => {
      expect(
        await checkContent(new Uint8Array(), declared('file', 'image/png', 'a.png', 10), MEDIA_CATEGORIES),
      ).toEqual({
        ok: false,
        reason: 'The file is empty.',
      });
      const unknown = bytes([0x00, 0x13, 0x37, 0x00, 0xde, 0xad, 0xbe, 0xef], new Uint8Array(64));
      expect(await check(unknown, 'file', 'application/pdf', 'a.pdf')).toEqual({
        ok: false,
        reason:
          "The file's content is not a recognised file type, so it cannot be accepted as a PDF document.",
      });
    });
  });

  describe('OOXML and ODF beyond the head', () => {
    const head = docxWithLateContentTypes.subarray(0, SNIFF_BYTES);
    const size = docxWithLateContentTypes.length;

    it('accepts a ZIP declared as DOCX when the head does not reach [Content_Types].xml', async () => {
      const result = await checkContent(head, declared('file', '', 'report.docx', size), MEDIA_CATEGORIES);
      expect(result).toEqual({ ok: true, contentType: ZIP_DOCUMENTS[0], category: 'document' });
    });

    it('reads a whole file that is only a ZIP as a ZIP, whatever was declared', async () => {
      const result = await check(plainZip, 'file', '', 'report.docx');
      expect(result).toEqual({ ok: true, contentType: 'application/zip', category: 'archive' });
    });
  });

  describe('policy', () => {
    it('refuses a category the link does not accept, naming the content', async () => {
      const result = await check(png, 'file', 'image/png', 'photo.png', ['document', 'archive']);
      expect(result).toEqual({
        ok: false,
        reason: "The file's content is a PNG image, and this link does not accept images.",
      });
    });

    it('names the declared type too when the content differs from it', async () => {
      const result = await check(png, 'file', 'application/pdf', 'scan.pdf', ['document']);
      expect(result).toEqual({
        ok: false,
        reason:
          "The file's content is a PNG image, not a PDF document, and this link does not accept images.",
      });
    });
  });

  describe('plain text', () => {
    const text = utf8('Bestellung für Jürgen: 3 × 20 €');

    it('accepts a multi-byte character cut by the end of the head', async () => {
      const head = text.subarray(0, text.length - 1); // cuts "€" (3 bytes) short
      const result = await checkContent(
        head,
        declared('file', 'text/plain', 'order.txt', text.length + 500),
        ['document'],
      );
      expect(result).toEqual({ ok: true, contentType: 'text/plain', category: 'document' });
    });

    it('refuses the same cut when the head is the whole file', async () => {
      const result = await check(text.subarray(0, text.length - 1), 'file', 'text/plain', 'order.txt');
      expect(result).toEqual({
        ok: false,
        reason:
          "The file's content is not plain text: it is not UTF-8 text (save it as UTF-8 and send it again).",
      });
    });

    it('refuses text with NUL bytes or control characters', async () => {
      expect(await check(utf8('abc\0def'), 'file', 'text/plain', 'a.txt')).toEqual({
        ok: false,
        reason: "The file's content is not plain text: it contains binary data.",
      });
      expect(await check(utf8('\u001b[31mred\u001b[0m'), 'file', 'text/plain', 'a.log')).toEqual({
        ok: false,
        reason: "The file's content is not plain text: it contains control characters.",
      });
    });

    it('accepts UTF-8 with a BOM and UTF-16 with a BOM', async () => {
      const utf8Bom = bytes([0xef, 0xbb, 0xbf], utf8('Größe;Preis\n'));
      const utf16 = bytes([0xff, 0xfe], ...Array.from('Größe;Preis\n', (char) => u16(char.charCodeAt(0))));
      for (const file of [utf8Bom, utf16]) {
        expect(await check(file, 'file', 'text/csv', 'prices.csv')).toEqual({
          ok: true,
          contentType: 'text/plain',
          category: 'document',
        });
      }
    });

    it('reads declared text that starts like a program or a bitmap as text', async () => {
      expect(await check(utf8('MZ-2024 order list\n'), 'file', 'text/plain', 'orders.txt')).toMatchObject({
        ok: true,
        contentType: 'text/plain',
      });
      // Declared as a bitmap, "BM..." text is still text: a real BMP has a DIB header.
      expect(await check(utf8('BMW service record\n'), 'file', 'image/bmp', 'car.bmp')).toMatchObject({
        ok: true,
        contentType: 'text/plain',
      });
    });
  });

  describe('SVG', () => {
    it('refuses scripts, event handlers, javascript: links, foreignObject and entities', async () => {
      const cases: [Uint8Array, string][] = [
        [svg('<script>alert(1)</script>'), 'a script'],
        [svg('<svg:script xmlns:svg="http://www.w3.org/2000/svg">alert(1)</svg:script>'), 'a script'],
        [
          svg('<rect width="1" height="1"/>', ' onload="alert(1)"'),
          'an event handler attribute (such as onload)',
        ],
        [svg('<a href="&#106;ava&#x09;script:alert(1)"><text>hi</text></a>'), 'a javascript: link'],
        [
          svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>'),
          'embedded HTML',
        ],
        [
          utf8('<!DOCTYPE svg [<!ENTITY x "&#60;script&#62;alert(1)&#60;/script&#62;">]><svg>&x;</svg>'),
          'entity declarations',
        ],
      ];
      for (const [file, found] of cases) {
        const result = await check(file, 'file', 'image/svg+xml', 'logo.svg');
        expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(`contains ${found}`) });
        expect(result).toMatchObject({ reason: expect.stringContaining('opens it in a browser') });
      }
    });

    it('checks an SVG declared as text as an SVG', async () => {
      const result = await check(svg('<script>alert(1)</script>'), 'file', 'text/plain', 'notes.txt');
      expect(result.ok).toBe(false);
    });

    it('refuses an SVG larger than the head: the unread rest could hold a script', async () => {
      const result = await checkContent(
        cleanSvg,
        declared('file', 'image/svg+xml', 'logo.svg', SNIFF_BYTES + 1),
        MEDIA_CATEGORIES,
      );
      expect(result).toMatchObject({
        ok: false,
        reason: expect.stringContaining('too large to check for scripts'),
      });
    });

    it('refuses plain text declared as SVG', async () => {
      const result = await check(utf8('<html><svg></svg></html>'), 'file', 'image/svg+xml', 'logo.svg');
      expect(result).toEqual({ ok: false, reason: "The file's content is plain text, not an SVG image." });
    });
  });

  it('aliases only to seed-list types', () => {
    const seed = new Set(
      MEDIA_CATEGORIES.flatMap((category) => MEDIA_TYPES[category].map((type) => type.mime)),
    );
    for (const alias of Object.values(ALIASES)) {
      for (const mime of [...(alias.as ? [alias.as] : []), ...(alias.alternatives ?? [])]) {
        expect(seed, mime).toContain(mime);
      }
    }
  });
});

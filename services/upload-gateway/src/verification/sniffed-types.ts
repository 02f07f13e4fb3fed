// What file-type's answers mean in terms of our seed list (MEDIA_TYPES in @uplink/contracts).
// file-type names some formats differently (AVI, ASF, MPEG, Ogg Opus, M4A, Matroska, RAR), and
// some containers hold more than one of our types; this table is the one place that says so.

import { baseMime } from '@uplink/contracts';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
const ODT = 'application/vnd.oasis.opendocument.text';
const ODS = 'application/vnd.oasis.opendocument.spreadsheet';
const ODP = 'application/vnd.oasis.opendocument.presentation';

/** Office 97-2003 files: all one container (CFB), which file-type does not look inside. */
export const LEGACY_OFFICE = [
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
];
/** Office Open XML and OpenDocument files: ZIP archives told apart by an entry inside. */
export const ZIP_DOCUMENTS = [DOCX, XLSX, PPTX, ODT, ODS, ODP];

/**
 * What sniffed content may be accepted as. `as` is the seed type the content is; `alternatives`
 * are other seed types the same bytes can equally be, chosen only when the customer declared one
 * of them or the recording's kind (audio/video) calls for it: a WebM or MP4 container holds audio
 * or video alike, a CFB container is any of the three legacy Office types.
 */
export type Alias = { as?: string; alternatives?: readonly string[] };

const zipPackage: Alias = { alternatives: ['application/zip'] };
const zipDocument = (mime: string): Alias => ({ as: mime, alternatives: ['application/zip'] });

/** Keyed by file-type's MIME type without parameters, lower-cased. */
export const ALIASES: Readonly<Record<string, Alias>> = {
  // Audio. file-type reports MP1/MP2 as audio/mpeg too, and Ogg Opus as `audio/ogg; codecs=opus`.
  'audio/mpeg': { as: 'audio/mpeg' },
  'audio/wav': { as: 'audio/wav' },
  'audio/ogg': { as: 'audio/ogg' },
  // ISO-BMFF with an audio-only brand (M4A, M4B, F4A, F4B).
  'audio/x-m4a': { as: 'audio/mp4' },
  'audio/mp4': { as: 'audio/mp4' },

  // Video, and the containers browsers record audio into: Safari writes MP4 (brand isom/mp42/iso5,
  // sniffed as video/mp4) for audio too, Chrome and Firefox WebM for both.
  'video/mp4': { as: 'video/mp4', alternatives: ['audio/mp4'] },
  'video/x-m4v': { as: 'video/mp4' },
  // QuickTime and MP4 share one box structure; file-type says QuickTime for a file without `ftyp`.
  'video/quicktime': { as: 'video/quicktime', alternatives: ['video/mp4', 'audio/mp4'] },
  // 3GP is an MP4 profile (older phones); not a seed type, so accepted only as a declared or recorded MP4.
  'video/3gpp': { alternatives: ['video/mp4', 'audio/mp4'] },
  'video/3gpp2': { alternatives: ['video/mp4', 'audio/mp4'] },
  'video/webm': { as: 'video/webm', alternatives: ['audio/webm'] },
  // WebM is a subset of Matroska; Chrome writes DocType `matroska` when asked for x-matroska.
  'video/matroska': { as: 'video/x-matroska', alternatives: ['video/webm', 'audio/webm'] },
  'video/vnd.avi': { as: 'video/x-msvideo' },
  // WMV is ASF; file-type says application/vnd.ms-asf when the stream header is beyond its reach.
  // ASF holding only audio (audio/x-ms-asf, i.e. WMA) is not a seed type.
  'video/x-ms-asf': { as: 'video/x-ms-wmv' },
  'application/vnd.ms-asf': { as: 'video/x-ms-wmv' },
  'video/mpeg': { as: 'video/mpeg' },
  'video/mp1s': { as: 'video/mpeg' },
  'video/mp2p': { as: 'video/mpeg' },

  // Images. An animated PNG is a valid PNG.
  'image/jpeg': { as: 'image/jpeg' },
  'image/png': { as: 'image/png' },
  'image/apng': { as: 'image/png' },
  'image/gif': { as: 'image/gif' },
  'image/bmp': { as: 'image/bmp' },
  'image/tiff': { as: 'image/tiff' },
  'image/webp': { as: 'image/webp' },
  // HEIF still images: brand `heic`/`heix` (HEVC-coded, what iPhones take) or `mif1` (any codec).
  // Cameras and phones label either kind either way, so each stands for the other when declared.
  // Image sequences (brands `hevc`, `msf1`) are not photos and not accepted.
  'image/heic': { as: 'image/heic', alternatives: ['image/heif'] },
  'image/heif': { as: 'image/heif', alternatives: ['image/heic'] },

  // Documents.
  'application/pdf': { as: 'application/pdf' },
  'application/x-cfb': { alternatives: LEGACY_OFFICE },
  [DOCX]: zipDocument(DOCX),
  [XLSX]: zipDocument(XLSX),
  [PPTX]: zipDocument(PPTX),
  [ODT]: zipDocument(ODT),
  [ODS]: zipDocument(ODS),
  [ODP]: zipDocument(ODP),

  // Archives. (A ZIP whose telling entry lies beyond the head: see `aliasOf`.)
  'application/zip': { as: 'application/zip' },
  'application/x-rar-compressed': { as: 'application/vnd.rar' },
  'application/x-7z-compressed': { as: 'application/x-7z-compressed' },
  'application/x-tar': { as: 'application/x-tar' },
  'application/gzip': { as: 'application/gzip' },

  // ZIP-based formats that are not seed types: a ZIP all the same when declared as one. (Programs
  // packed as ZIP — JAR, APK, XPI — are not here: they are never accepted.)
  'application/epub+zip': zipPackage,
  'application/vnd.apple.pages': zipPackage,
  'application/vnd.apple.keynote': zipPackage,
  'application/vnd.apple.numbers': zipPackage,
  'application/vnd.visio': zipPackage,
  'model/3mf': zipPackage,
  'application/vnd.oasis.opendocument.text-template': zipPackage,
  'application/vnd.oasis.opendocument.spreadsheet-template': zipPackage,
  'application/vnd.oasis.opendocument.presentation-template': zipPackage,
  'application/vnd.oasis.opendocument.graphics': zipPackage,
  'application/vnd.oasis.opendocument.graphics-template': zipPackage,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.template': zipPackage,
  'application/vnd.openxmlformats-officedocument.spreadsheetml.template': zipPackage,
  'application/vnd.openxmlformats-officedocument.presentationml.template': zipPackage,
  'application/vnd.openxmlformats-officedocument.presentationml.slideshow': zipPackage,
  'application/vnd.ms-word.document.macroenabled.12': zipPackage,
  'application/vnd.ms-word.template.macroenabled.12': zipPackage,
  'application/vnd.ms-excel.sheet.macroenabled.12': zipPackage,
  'application/vnd.ms-excel.template.macroenabled.12': zipPackage,
  'application/vnd.ms-powerpoint.presentation.macroenabled.12': zipPackage,
  'application/vnd.ms-powerpoint.template.macroenabled.12': zipPackage,
  'application/vnd.ms-powerpoint.slideshow.macroenabled.12': zipPackage,
};

/**
 * The alias for a sniffed MIME type. A plain ZIP may also be a declared OOXML/ODF document when
 * the head is only the start of the file: file-type tells those apart by `[Content_Types].xml`
 * or `mimetype`, and writers other than Office may put `[Content_Types].xml` after large media
 * entries, beyond the head. Accepting it is safe: the bytes are a ZIP archive (never a program:
 * an EXE or ELF has its own magic number and is never aliased), the file keeps its document name
 * so it opens in Office, which validates the package, and a ZIP is no more than we accept anyway.
 */
export function aliasOf(sniffedMime: string, truncated: boolean): Alias | undefined {
  const mime = baseMime(sniffedMime);
  if (mime === 'application/zip' && truncated) return { as: mime, alternatives: ZIP_DOCUMENTS };
  return ALIASES[mime];
}

const PROGRAMS: Readonly<Record<string, string>> = {
  exe: 'a Windows program (EXE)',
  elf: 'a Linux program (ELF)',
  macho: 'a macOS program (Mach-O)',
  class: 'a Java program (CLASS)',
  jar: 'a Java program (JAR)',
  apk: 'an Android app (APK)',
  xpi: 'a browser extension (XPI)',
  crx: 'a browser extension (CRX)',
  wasm: 'a WebAssembly program (WASM)',
  swf: 'a Flash program (SWF)',
  dmg: 'a macOS disk image (DMG)',
  iso: 'a disc image (ISO)',
  deb: 'a Linux package (DEB)',
  rpm: 'a Linux package (RPM)',
  lnk: 'a Windows shortcut (LNK)',
  chm: 'a Windows help file (CHM)',
  reg: 'a Windows registry file (REG)',
  cab: 'a Windows cabinet archive (CAB)',
  cfb: 'an older-format Microsoft Office file (or a similar compound file)',
};

const MACRO_ENABLED = new Set(['docm', 'dotm', 'xlsm', 'xltm', 'pptm', 'potm', 'ppsm']);

/** How to name, for the customer, content file-type recognised but that is no seed type. */
export function describeSniffed(ext: string): string {
  const known = PROGRAMS[ext];
  if (known) return known;
  if (MACRO_ENABLED.has(ext)) return `a macro-enabled Office document (${ext.toUpperCase()})`;
  return `a ${ext.toUpperCase()} file`;
}

/**
 * Whether a sniffed type survives a closer look. file-type says BMP on the two bytes `BM` and GIF
 * on `GIF`, which plain text can start with; a real BMP has a known DIB header size at offset 14,
 * a real GIF a version.
 */
export function isPlausible(ext: string, head: Uint8Array): boolean {
  if (ext === 'bmp') {
    const dibHeaderSize = head.length >= 18 ? view(head).getUint32(14, true) : 0;
    return [12, 16, 40, 52, 56, 64, 108, 124].includes(dibHeaderSize);
  }
  if (ext === 'gif') {
    const signature = String.fromCharCode(...head.subarray(0, 6));
    return signature === 'GIF87a' || signature === 'GIF89a';
  }
  return true;
}

/**
 * Whether a CFB file is a Windows Installer database (MSI, or an MSP patch or MST transform),
 * told by the CLSID of its root storage, {000C108x-0000-0000-C000-000000000046}. Only when the
 * first directory sector lies within the head; otherwise this cannot tell (and says false).
 */
export function isWindowsInstaller(head: Uint8Array): boolean {
  if (head.length < 512) return false;
  const header = view(head);
  const sectorShift = header.getUint16(30, true);
  if (sectorShift !== 9 && sectorShift !== 12) return false;
  const rootEntry = (header.getUint32(48, true) + 1) * 2 ** sectorShift;
  if (rootEntry + 96 > head.length) return false;
  const clsid = head.subarray(rootEntry + 80, rootEntry + 96);
  const installerTail = [0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46];
  return (
    [0x82, 0x84, 0x86].includes(clsid[0] ?? 0) &&
    clsid[1] === 0x10 &&
    installerTail.every((byte, index) => clsid[index + 2] === byte)
  );
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

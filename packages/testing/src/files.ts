// Small but genuine files for tests: enough structure for content sniffing.
import { readFileSync } from 'node:fs';

export function pdfBytes(extra = 0): Uint8Array {
  const body = `%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n${'%'.repeat(extra)}\ntrailer << /Root 1 0 R >>\n%%EOF\n`;
  return new TextEncoder().encode(body);
}

/** The start of a Windows executable: an MZ header pointing at a PE signature. */
export function exeBytes(): Uint8Array {
  const bytes = new Uint8Array(512);
  bytes.set([0x4d, 0x5a], 0); // MZ
  new DataView(bytes.buffer).setUint32(0x3c, 0x80, true); // e_lfanew
  bytes.set([0x50, 0x45, 0x00, 0x00], 0x80); // PE\0\0
  new DataView(bytes.buffer).setUint16(0x84, 0x014c, true); // i386
  return bytes;
}

/**
 * A real iPhone-style photo: HEIC (brand `heic`, compatible `mif1`), 64×48, HEVC-coded, 577 bytes.
 * Made from `photo-source.png` beside it with libheif's encoder (Debian `libheif-examples`):
 * `heif-enc -q 50 photo-source.png -o photo.heic`.
 */
export function heicPhoto(): Uint8Array {
  return new Uint8Array(readFileSync(new URL('../fixtures/photo.heic', import.meta.url)));
}

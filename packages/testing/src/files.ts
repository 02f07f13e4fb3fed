// Small but genuine files for tests: enough structure for content sniffing.

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

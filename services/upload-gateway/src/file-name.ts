/** Longest cleaned name, in UTF-8 bytes: what common file systems and helpdesks accept. */
export const MAX_FILE_NAME_BYTES = 200;

const encoder = new TextEncoder();

/**
 * The customer's file name made safe to show and to hand to a helpdesk as an attachment name:
 * only the last path segment, no control or bidirectional-override characters, no characters
 * Windows forbids, no leading dots, and at most MAX_FILE_NAME_BYTES with the extension kept.
 * Never used for storage paths: blob names are random.
 */
export function cleanFileName(raw: string, fallback: string): string {
  const lastSegment = raw.split(/[/\\]/).pop() ?? '';
  const cleaned = lastSegment
    .normalize('NFC')
    // Control characters, and the bidi overrides/isolates that make "exe.pdf" read as "fdp.exe".
    .replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '')
    .trim();
  return truncateKeepingExtension(cleaned === '' ? fallback : cleaned);
}

function truncateKeepingExtension(name: string): string {
  if (encoder.encode(name).length <= MAX_FILE_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  let stem = name.slice(0, name.length - extension.length);
  const budget = MAX_FILE_NAME_BYTES - encoder.encode(extension).length;
  // Cut by code points so no character is split.
  while (encoder.encode(stem).length > budget) stem = Array.from(stem).slice(0, -1).join('');
  return `${stem}${extension}`;
}

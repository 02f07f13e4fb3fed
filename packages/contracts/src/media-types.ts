// Plain data and functions only (no schema library): the customer's page bundles this file.

export const MEDIA_CATEGORIES = ['audio', 'video', 'image', 'document', 'archive'] as const;
export type MediaCategory = (typeof MEDIA_CATEGORIES)[number];

const MB = 1024 * 1024;
/** Per-category limit when a tenant sets none. Freshdesk caps a ticket's attachments at 20 MB. */
export const DEFAULT_MAX_BYTES = 20 * MB;
/** The largest limit a tenant may set for one file. */
export const MAX_UPLOAD_BYTES = 200 * MB;

/** How many files one submission may hold when a tenant sets no number, and at most. */
export const DEFAULT_FILES_PER_SUBMISSION = 10;
export const MAX_FILES_PER_SUBMISSION = 50;
/** The cap on a submission's total size when a tenant sets none (see submissionByteLimit). */
export const DEFAULT_SUBMISSION_BYTES_CAP = 100 * MB;
/** The largest total a tenant may set for one submission: its most files at the largest size. */
export const MAX_SUBMISSION_BYTES = MAX_FILES_PER_SUBMISSION * MAX_UPLOAD_BYTES;

/** The parts of a media policy the submission limit depends on (the page has no schema library). */
export type SubmissionLimitPolicy = {
  categories: Record<MediaCategory, { allowed: boolean; maxBytes: number }>;
  maxSubmissionBytes: number | null;
};

/**
 * The most bytes one submission may hold together: the tenant's `maxSubmissionBytes`, or when it
 * is null the per-category limits of the allowed categories summed, capped at 100 MB.
 */
export function submissionByteLimit(policy: SubmissionLimitPolicy): number {
  if (policy.maxSubmissionBytes !== null) return policy.maxSubmissionBytes;
  let sum = 0;
  for (const category of MEDIA_CATEGORIES) {
    const limit = policy.categories[category];
    if (limit.allowed) sum += limit.maxBytes;
  }
  return Math.min(sum, DEFAULT_SUBMISSION_BYTES_CAP);
}

export type MediaType = { mime: string; extensions: readonly string[]; label: string };

/**
 * The seed list of accepted types. Browsers record audio/webm and video/webm (Chrome, Firefox)
 * or audio/mp4 and video/mp4 (Safari); all are here.
 */
export const MEDIA_TYPES: Record<MediaCategory, readonly MediaType[]> = {
  audio: [
    { label: 'MP3', mime: 'audio/mpeg', extensions: ['mp3'] },
    { label: 'WAV', mime: 'audio/wav', extensions: ['wav'] },
    { label: 'OGG', mime: 'audio/ogg', extensions: ['ogg', 'oga', 'opus'] },
    { label: 'M4A', mime: 'audio/mp4', extensions: ['m4a', 'mp4'] },
    { label: 'WebM', mime: 'audio/webm', extensions: ['webm', 'weba'] },
  ],
  video: [
    { label: 'MP4', mime: 'video/mp4', extensions: ['mp4', 'm4v'] },
    { label: 'MOV', mime: 'video/quicktime', extensions: ['mov'] },
    { label: 'WebM', mime: 'video/webm', extensions: ['webm'] },
    { label: 'AVI', mime: 'video/x-msvideo', extensions: ['avi'] },
    { label: 'MKV', mime: 'video/x-matroska', extensions: ['mkv'] },
    { label: 'MPEG', mime: 'video/mpeg', extensions: ['mpeg', 'mpg'] },
    { label: 'WMV', mime: 'video/x-ms-wmv', extensions: ['wmv'] },
  ],
  image: [
    { label: 'JPEG', mime: 'image/jpeg', extensions: ['jpg', 'jpeg'] },
    { label: 'PNG', mime: 'image/png', extensions: ['png'] },
    { label: 'GIF', mime: 'image/gif', extensions: ['gif'] },
    { label: 'BMP', mime: 'image/bmp', extensions: ['bmp'] },
    { label: 'TIFF', mime: 'image/tiff', extensions: ['tif', 'tiff'] },
    { label: 'WebP', mime: 'image/webp', extensions: ['webp'] },
    { label: 'SVG', mime: 'image/svg+xml', extensions: ['svg'] },
    // iPhone photos. Delivered as they are; the console previews a JPEG rendering where the
    // agent's browser cannot show them.
    { label: 'HEIC', mime: 'image/heic', extensions: ['heic'] },
    { label: 'HEIF', mime: 'image/heif', extensions: ['heif', 'hif'] },
  ],
  document: [
    { label: 'PDF', mime: 'application/pdf', extensions: ['pdf'] },
    { label: 'Word', mime: 'application/msword', extensions: ['doc'] },
    {
      label: 'Word',
      mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      extensions: ['docx'],
    },
    { label: 'Excel', mime: 'application/vnd.ms-excel', extensions: ['xls'] },
    {
      label: 'Excel',
      mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      extensions: ['xlsx'],
    },
    { label: 'PowerPoint', mime: 'application/vnd.ms-powerpoint', extensions: ['ppt'] },
    {
      label: 'PowerPoint',
      mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
      extensions: ['pptx'],
    },
    { label: 'OpenDocument text', mime: 'application/vnd.oasis.opendocument.text', extensions: ['odt'] },
    {
      label: 'OpenDocument spreadsheet',
      mime: 'application/vnd.oasis.opendocument.spreadsheet',
      extensions: ['ods'],
    },
    {
      label: 'OpenDocument presentation',
      mime: 'application/vnd.oasis.opendocument.presentation',
      extensions: ['odp'],
    },
    { label: 'Text', mime: 'text/plain', extensions: ['txt', 'log', 'csv'] },
    // What most browsers report for .csv; verified like any plain text.
    { label: 'CSV', mime: 'text/csv', extensions: ['csv'] },
  ],
  archive: [
    { label: 'ZIP', mime: 'application/zip', extensions: ['zip'] },
    { label: 'RAR', mime: 'application/vnd.rar', extensions: ['rar'] },
    { label: '7z', mime: 'application/x-7z-compressed', extensions: ['7z'] },
    { label: 'TAR', mime: 'application/x-tar', extensions: ['tar'] },
    { label: 'GZ', mime: 'application/gzip', extensions: ['gz', 'tgz'] },
  ],
};

export type ResolvedMediaType = { category: MediaCategory; type: MediaType };

function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
}

/** The MIME type without parameters, lower-cased: `video/webm;codecs=vp8` -> `video/webm`. */
export function baseMime(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * The seed-list entry a declared file matches, searching `categories` in order. The MIME type
 * decides; the extension is only a fallback for browsers that report no type (or the generic
 * application/octet-stream) for a picked file.
 */
export function resolveMediaType(
  contentType: string,
  fileName: string,
  categories: readonly MediaCategory[] = MEDIA_CATEGORIES,
): ResolvedMediaType | undefined {
  const mime = baseMime(contentType);
  for (const category of categories) {
    const type = MEDIA_TYPES[category].find((candidate) => candidate.mime === mime);
    if (type) return { category, type };
  }
  if (mime !== '' && mime !== 'application/octet-stream') return undefined;
  const extension = extensionOf(fileName);
  for (const category of categories) {
    const type = MEDIA_TYPES[category].find((candidate) => candidate.extensions.includes(extension));
    if (type) return { category, type };
  }
  return undefined;
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;

/** `20 MB`, `1.5 kB`, `3,2 MB` (German): binary multiples, as the size limits are set. */
export function formatBytes(bytes: number, locale = 'en'): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: BYTE_UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit > 0 && value < 10 ? 1 : 0,
  }).format(value);
}

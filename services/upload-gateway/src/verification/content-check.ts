// The content check at completion: what a blob's first bytes really are, whatever the customer
// declared. A SAS cannot restrict what is uploaded, so this is where type is enforced.

import { type MediaCategory, resolveMediaType, type UploadKind } from '@uplink/contracts';
import { type FileTypeResult, fileTypeFromBuffer } from 'file-type';
import { type Alias, aliasOf, describeSniffed, isPlausible, isWindowsInstaller } from './sniffed-types.ts';
import { isSvgDocument, svgActiveContent } from './svg-content.ts';
import { readText, type TextProblem, type TextReading } from './text-content.ts';

/**
 * How many leading bytes of the blob the gateway reads for the check: 256 KiB, one ranged read.
 * Magic numbers need a few bytes and file-type reads at most ~4 KiB for most formats, but ZIP-based
 * documents are told apart by an entry (`mimetype`, `[Content_Types].xml`) that some writers put
 * after other entries, ASF and EBML headers can run long, and an SVG must be read whole to vouch
 * that it holds no script, so this is also the largest SVG we accept. Small next to the upload.
 */
export const SNIFF_BYTES = 256 * 1024;

export type ContentCheck =
  | { ok: true; contentType: string; category: MediaCategory }
  | { ok: false; reason: string };

type Declared = { kind: UploadKind; contentType: string; fileName: string; size: number };

/**
 * What the content is: a seed type (for an SVG, with its text, still to be checked for active
 * content), something known that is not one, or nothing we recognise.
 */
type Identity =
  | { type: 'seed'; mime: string; svg?: string }
  | { type: 'other'; description: string }
  | { type: 'unknown'; problem?: TextProblem };

/**
 * Decides whether the head of an uploaded blob is an allowed type of the declared kind. The
 * content decides: the result's `contentType` is the seed-list type the bytes are, which may
 * differ from the declared one (a JPEG declared as PNG is accepted as JPEG). Audio recordings
 * must be audio, video recordings video; the category must be one the tenant allows.
 */
export async function checkContent(
  head: Uint8Array,
  declared: Declared,
  allowedCategories: readonly MediaCategory[],
): Promise<ContentCheck> {
  if (head.length === 0) return refuse('The file is empty.');
  const truncated = head.length < declared.size;
  const claimed = resolveMediaType(declared.contentType, declared.fileName)?.type.mime;
  const text = readText(head, truncated);
  const identity = await identify(head, { claimed, kind: declared.kind, truncated, text });

  if (identity.type === 'unknown') return refuse(unknownReason(identity.problem, claimed));
  if (identity.type === 'other') {
    return refuse(
      claimed
        ? `The file's content is ${identity.description}, not ${describe(claimed)}.`
        : `The file's content is ${identity.description}, which is not an accepted file type.`,
    );
  }
  const { mime } = identity;
  const category = categoryOf(mime);
  if (declared.kind !== 'file' && category !== declared.kind) {
    return refuse(
      `The recording's content is ${describe(mime)}, not ${declared.kind === 'audio' ? 'audio' : 'a video'}.`,
    );
  }
  if (!allowedCategories.includes(category)) {
    const notClaimed = claimed && claimed !== mime ? `, not ${describe(claimed)},` : ',';
    return refuse(
      `The file's content is ${describe(mime)}${notClaimed} and this link does not accept ${PLURALS[category]}.`,
    );
  }
  if (identity.svg !== undefined) {
    if (truncated) {
      return refuse(
        `The SVG image is larger than ${SNIFF_BYTES / 1024} KB, too large to check for scripts; send it as a PNG instead.`,
      );
    }
    const active = svgActiveContent(identity.svg);
    if (active) {
      return refuse(
        `The SVG image contains ${active}, which could run code or reach other sites when an agent opens it in a browser, so it is not accepted.`,
      );
    }
  }
  return { ok: true, contentType: mime, category };
}

type Facts = { claimed: string | undefined; kind: UploadKind; truncated: boolean; text: TextReading };

async function identify(head: Uint8Array, facts: Facts): Promise<Identity> {
  const { claimed, text } = facts;
  const claimsText = claimed === 'text/plain' || claimed === 'image/svg+xml';
  // Declared text that reads as text is text, even when it starts like a binary format would
  // (a note beginning "MZ" or "BM" is no program or bitmap).
  if (text.ok && claimsText) return identifyText(text.text, claimed);
  const sniffed = await sniff(head);
  if (sniffed) {
    const identity = identifySniffed(sniffed, head, facts);
    // Clean text is never a program; a text format file-type knows (XML, RTF, PostScript, vCard)
    // and we do not list is, to us, text.
    if (identity.type === 'seed' || !text.ok) return identity;
  }
  if (text.ok) return identifyText(text.text, claimed);
  return claimsText ? { type: 'unknown', problem: text.problem } : { type: 'unknown' };
}

function identifyText(text: string, claimed: string | undefined): Identity {
  if (isSvgDocument(text)) return { type: 'seed', mime: 'image/svg+xml', svg: text };
  // Not silently accepted as text/plain: the file would still carry its .svg name.
  if (claimed === 'image/svg+xml') return { type: 'other', description: 'plain text' };
  return { type: 'seed', mime: 'text/plain' };
}

function identifySniffed(sniffed: FileTypeResult, head: Uint8Array, facts: Facts): Identity {
  if (sniffed.ext === 'cfb' && isWindowsInstaller(head)) {
    return { type: 'other', description: 'a Windows installer (MSI)' };
  }
  const alias = aliasOf(sniffed.mime, facts.truncated);
  const mime = alias && choose(alias, facts.claimed, facts.kind);
  return mime ? { type: 'seed', mime } : { type: 'other', description: describeSniffed(sniffed.ext) };
}

/**
 * Which of the seed types the sniffed bytes can be is meant: for a recording, one of its kind
 * (an MP4 recorded as audio is audio/mp4); then the declared one if the bytes can be it; else
 * the type the bytes are (`as`), if any.
 */
function choose(alias: Alias, claimed: string | undefined, kind: UploadKind): string | undefined {
  const candidates = [...(alias.as ? [alias.as] : []), ...(alias.alternatives ?? [])];
  const fitting = kind === 'file' ? candidates : candidates.filter((mime) => categoryOf(mime) === kind);
  if (claimed && fitting.includes(claimed)) return claimed;
  return (kind === 'file' ? undefined : fitting[0]) ?? alias.as;
}

async function sniff(head: Uint8Array): Promise<FileTypeResult | undefined> {
  try {
    const sniffed = await fileTypeFromBuffer(head);
    return sniffed && isPlausible(sniffed.ext, head) ? sniffed : undefined;
  } catch {
    // file-type is best-effort on malformed input: what it cannot parse is not recognised.
    return undefined;
  }
}

function categoryOf(seedMime: string): MediaCategory {
  const resolved = resolveMediaType(seedMime, '');
  if (!resolved) throw new Error(`${seedMime} is not on the seed list`);
  return resolved.category;
}

function unknownReason(problem: TextProblem | undefined, claimed: string | undefined): string {
  if (problem) {
    const expected = claimed === 'image/svg+xml' ? 'an SVG image' : 'plain text';
    return `The file's content is not ${expected}: ${TEXT_PROBLEMS[problem]}.`;
  }
  return claimed
    ? `The file's content is not a recognised file type, so it cannot be accepted as ${describe(claimed)}.`
    : "The file's content is not a recognised file type.";
}

const TEXT_PROBLEMS: Readonly<Record<TextProblem, string>> = {
  binary: 'it contains binary data',
  control: 'it contains control characters',
  encoding: 'it is not UTF-8 text (save it as UTF-8 and send it again)',
};

const PLURALS: Readonly<Record<MediaCategory, string>> = {
  audio: 'audio files',
  video: 'videos',
  image: 'images',
  document: 'documents',
  archive: 'archives',
};

/** Seed types as the customer would name them, with an article. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  'audio/mpeg': 'an MP3 audio file',
  'audio/wav': 'a WAV audio file',
  'audio/ogg': 'an Ogg audio file',
  'audio/mp4': 'an MP4 (M4A) audio file',
  'audio/webm': 'a WebM audio recording',
  'video/mp4': 'an MP4 video',
  'video/quicktime': 'a QuickTime (MOV) video',
  'video/webm': 'a WebM video',
  'video/x-msvideo': 'an AVI video',
  'video/x-matroska': 'a Matroska (MKV) video',
  'video/mpeg': 'an MPEG video',
  'video/x-ms-wmv': 'a Windows Media (WMV) video',
  'image/jpeg': 'a JPEG image',
  'image/png': 'a PNG image',
  'image/gif': 'a GIF image',
  'image/bmp': 'a BMP image',
  'image/tiff': 'a TIFF image',
  'image/webp': 'a WebP image',
  'image/svg+xml': 'an SVG image',
  'application/pdf': 'a PDF document',
  'application/msword': 'a Word document',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'a Word document',
  'application/vnd.ms-excel': 'an Excel spreadsheet',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'an Excel spreadsheet',
  'application/vnd.ms-powerpoint': 'a PowerPoint presentation',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'a PowerPoint presentation',
  'application/vnd.oasis.opendocument.text': 'an OpenDocument text',
  'application/vnd.oasis.opendocument.spreadsheet': 'an OpenDocument spreadsheet',
  'application/vnd.oasis.opendocument.presentation': 'an OpenDocument presentation',
  'text/plain': 'plain text',
  'application/zip': 'a ZIP archive',
  'application/vnd.rar': 'a RAR archive',
  'application/x-7z-compressed': 'a 7z archive',
  'application/x-tar': 'a TAR archive',
  'application/gzip': 'a gzip archive',
};

function describe(seedMime: string): string {
  return DESCRIPTIONS[seedMime] ?? `a ${resolveMediaType(seedMime, '')?.type.label ?? 'different'} file`;
}

function refuse(reason: string): ContentCheck {
  return { ok: false, reason };
}

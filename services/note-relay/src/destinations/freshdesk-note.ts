// The private note Uplink adds to a Freshdesk ticket. HTML, with every interpolated value escaped:
// the file names, the context message and the customer's message come from people outside the
// helpdesk.
import { formatBytes } from '@uplink/contracts';
import { escapeHtml } from '@uplink/kit';

export const REFERENCE_LABEL = 'Uplink reference:';

/** Freshdesk's cap on all attachments of one ticket together (Rails megabytes, 1024²). */
export const FRESHDESK_ATTACHMENT_LIMIT_BYTES = 20 * 1024 * 1024;

/**
 * Why a file is linked instead of attached: it is over the cap on its own, or the ticket (with
 * what this note attaches before it) has no room left for it.
 */
export type LinkedWhy = 'file-too-large' | 'ticket-full';

export type NoteFile = {
  fileName: string;
  contentType: string;
  size: number;
  /** Present when the file is linked instead of attached. */
  link?: { url: string; expiresAt: Date; why: LinkedWhy } | undefined;
};

export type NoteInput = {
  shortId: string;
  contextMessage?: string | undefined;
  /** What the customer wrote for the agent with the files. */
  customerMessage?: string | undefined;
  /** The first file's upload id: what a later attempt looks for (see uploadReference). */
  uploadId: string;
  receivedAt: string;
  /** Every file of the submission, in the customer's order. */
  files: readonly NoteFile[];
};

/** The line that lets a later attempt find this note on the ticket (see FreshdeskDestination). */
export function uploadReference(uploadId: string): string {
  return `${REFERENCE_LABEL} ${uploadId}`;
}

export function freshdeskNoteHtml(note: NoteInput): string {
  const { files } = note;
  // First what the agent asked for, by the short id the links panel shows beside the link.
  const inReplyTo = `<strong>In reply to #${escapeHtml(note.shortId)}</strong>`;
  const context = note.contextMessage?.trim() ?? '';
  const shared = files.length === 1 ? 'a file' : `${files.length} files`;
  const lines = [
    context === '' ? `<p>${inReplyTo}.</p>` : `<p>${inReplyTo}: ${multiline(context)}</p>`,
    `<p>Posted by Uplink: the customer shared ${shared} through the upload link.</p>`,
  ];
  const message = note.customerMessage?.trim() ?? '';
  if (message !== '')
    lines.push(`<p>The customer's message:</p><blockquote>${multiline(message)}</blockquote>`);

  const [only] = files;
  if (files.length === 1 && only !== undefined) {
    lines.push(...singleFileLines(only));
  } else {
    lines.push('<p>Files:</p>', `<ul>${files.map((file) => `<li>${fileItem(file)}</li>`).join('')}</ul>`);
    const expiry = files.find((file) => file.link !== undefined)?.link?.expiresAt;
    if (expiry !== undefined) {
      lines.push(
        `<p>The links work until ${escapeHtml(utcMinute(expiry))}; download the files before then to keep them.</p>`,
      );
    }
  }
  const received = Date.parse(note.receivedAt);
  lines.push(
    `<p>Received ${escapeHtml(Number.isNaN(received) ? note.receivedAt : utcMinute(new Date(received)))}. ${escapeHtml(uploadReference(note.uploadId))}</p>`,
  );
  return `<div>${lines.join('')}</div>`;
}

function singleFileLines(file: NoteFile): string[] {
  const { link } = file;
  if (link === undefined) return [`<p>File: ${described(file)}, attached to this note.</p>`];
  const why =
    link.why === 'file-too-large'
      ? `It is larger than the ${formatBytes(FRESHDESK_ATTACHMENT_LIMIT_BYTES)} Freshdesk allows for attachments`
      : `Attaching it would take this ticket over the ${formatBytes(FRESHDESK_ATTACHMENT_LIMIT_BYTES)} Freshdesk allows for all its attachments together`;
  return [
    `<p>File: ${described(file)}.</p>`,
    `<p>${why}, so it is linked instead of attached: ${anchor(link.url)}</p>`,
    `<p>The link works until ${escapeHtml(utcMinute(link.expiresAt))}; download the file before then to keep it.</p>`,
  ];
}

function fileItem(file: NoteFile): string {
  const { link } = file;
  if (link === undefined) return `${described(file)}, attached to this note.`;
  const why =
    link.why === 'file-too-large'
      ? `larger than the ${formatBytes(FRESHDESK_ATTACHMENT_LIMIT_BYTES)} Freshdesk allows for attachments`
      : `no room left under the ${formatBytes(FRESHDESK_ATTACHMENT_LIMIT_BYTES)} Freshdesk allows for all attachments of a ticket together`;
  return `${described(file)}: ${why}, so it is linked instead: ${anchor(link.url)}`;
}

function described(file: NoteFile): string {
  return `<strong>${escapeHtml(file.fileName)}</strong> (${escapeHtml(file.contentType)}, ${formatBytes(file.size)})`;
}

function anchor(url: string): string {
  return `<a href="${escapeHtml(url)}" rel="noopener noreferrer">${escapeHtml(url)}</a>`;
}

/** Text from outside the helpdesk, escaped, its line breaks kept. */
function multiline(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}

/** '2025-06-01 14:03 UTC': unambiguous for agents in any time zone. */
function utcMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

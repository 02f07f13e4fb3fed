// The private note Uplink adds to a Freshdesk ticket. HTML, with every interpolated value escaped:
// the file name and the context message come from people outside the helpdesk.
import { formatBytes } from '@uplink/contracts';
import { escapeHtml } from '@uplink/kit';

export const REFERENCE_LABEL = 'Uplink reference:';

/** Freshdesk's cap on all attachments of one ticket together (Rails megabytes, 1024²). */
export const FRESHDESK_ATTACHMENT_LIMIT_BYTES = 20 * 1024 * 1024;

export type NoteInput = {
  shortId: string;
  contextMessage?: string | undefined;
  uploadId: string;
  receivedAt: string;
  file: { fileName: string; contentType: string; size: number };
  /** Present when the file is linked instead of attached. */
  link?: { url: string; expiresAt: Date; why: 'file-too-large' | 'ticket-full' };
};

/** The line that lets a later attempt find this note on the ticket (see FreshdeskDestination). */
export function uploadReference(uploadId: string): string {
  return `${REFERENCE_LABEL} ${uploadId}`;
}

export function freshdeskNoteHtml(note: NoteInput): string {
  const { file, link } = note;
  // First what the agent asked for, by the short id the links panel shows beside the link.
  const inReplyTo = `<strong>In reply to #${escapeHtml(note.shortId)}</strong>`;
  const context = note.contextMessage?.trim() ?? '';
  const lines = [
    context === ''
      ? `<p>${inReplyTo}.</p>`
      : `<p>${inReplyTo}: ${escapeHtml(context).replace(/\r?\n/g, '<br>')}</p>`,
    '<p>Posted by Uplink: the customer shared a file through the upload link.</p>',
  ];
  const described = `<strong>${escapeHtml(file.fileName)}</strong> (${escapeHtml(file.contentType)}, ${formatBytes(file.size)})`;
  if (link === undefined) {
    lines.push(`<p>File: ${described}, attached to this note.</p>`);
  } else {
    const why =
      link.why === 'file-too-large'
        ? `It is larger than the ${formatBytes(FRESHDESK_ATTACHMENT_LIMIT_BYTES)} Freshdesk allows for attachments`
        : `Attaching it would take this ticket over the ${formatBytes(FRESHDESK_ATTACHMENT_LIMIT_BYTES)} Freshdesk allows for all its attachments together`;
    lines.push(
      `<p>File: ${described}.</p>`,
      `<p>${why}, so it is linked instead of attached: <a href="${escapeHtml(link.url)}" rel="noopener noreferrer">${escapeHtml(link.url)}</a></p>`,
      `<p>The link works until ${escapeHtml(utcMinute(link.expiresAt))}; download the file before then to keep it.</p>`,
    );
  }
  const received = Date.parse(note.receivedAt);
  lines.push(
    `<p>Received ${escapeHtml(Number.isNaN(received) ? note.receivedAt : utcMinute(new Date(received)))}. ${escapeHtml(uploadReference(note.uploadId))}</p>`,
  );
  return `<div>${lines.join('')}</div>`;
}

/** '2025-06-01 14:03 UTC': unambiguous for agents in any time zone. */
function utcMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export type { FreshdeskRequestRecord } from './exchange.ts';
export type { FreshdeskFaultMatch } from './faults.ts';
export {
  FRESHDESK_DOUBLE_API_KEY,
  FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES,
  type FreshdeskDouble,
  type FreshdeskDoubleOptions,
  startFreshdeskDouble,
} from './freshdesk-double.ts';
export type {
  FreshdeskErrorCode,
  FreshdeskFieldError,
  FreshdeskRequestErrorBody,
  FreshdeskValidationErrorBody,
} from './freshdesk-errors.ts';
export type {
  FreshdeskAttachmentJson,
  FreshdeskNoteJson,
  FreshdeskStoredAttachment,
  FreshdeskStoredNote,
  FreshdeskTicketSeed,
} from './tickets.ts';

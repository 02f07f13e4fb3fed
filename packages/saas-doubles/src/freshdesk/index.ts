export type { FreshdeskRequestRecord } from './exchange.ts';
export {
  FRESHDESK_DEFAULT_FAULT_KINDS,
  type FreshdeskFaultKind,
  type FreshdeskFaultSettings,
} from './faults.ts';
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

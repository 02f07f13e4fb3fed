export {
  FRESHDESK_DEFAULT_FAULT_KINDS,
  FRESHDESK_DOUBLE_API_KEY,
  FRESHDESK_TICKET_ATTACHMENT_LIMIT_BYTES,
  type FreshdeskAttachmentJson,
  type FreshdeskDouble,
  type FreshdeskDoubleOptions,
  type FreshdeskFaultKind,
  type FreshdeskFaultSettings,
  type FreshdeskNoteJson,
  type FreshdeskRequestRecord,
  type FreshdeskStoredAttachment,
  type FreshdeskStoredNote,
  type FreshdeskTicketSeed,
  startFreshdeskDouble,
} from './freshdesk-double.ts';
export type {
  FreshdeskErrorCode,
  FreshdeskFieldError,
  FreshdeskRequestErrorBody,
  FreshdeskValidationErrorBody,
} from './freshdesk-errors.ts';

import { type Static, Type } from 'typebox';
import { UPLOAD_ID_PATTERN } from './uploads.ts';

/**
 * The closed set of error codes the HTTP APIs answer with, and the status each one carries.
 * Clients branch on `code`; `message` is for people.
 */
export const ErrorCodes = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  receiving_disabled: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  link_not_pending: 409,
  link_gone: 410,
  file_deleted: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  upload_rejected: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.Enum(Object.keys(ErrorCodes) as ErrorCode[]),
        message: Type.String(),
        uploadId: Type.Optional(
          Type.String({
            pattern: UPLOAD_ID_PATTERN,
            description: 'The file of a submission the error is about (a submission is refused whole).',
          }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { description: 'Every 4xx and 5xx response has this shape.' },
);
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

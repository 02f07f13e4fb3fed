import { type ErrorCode, ErrorCodes } from '@uplink/contracts';

/** The one error type the HTTP layer turns into an `{error: {code, message}}` response. */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** The file of a submission the error is about: the envelope names it too. */
  readonly uploadId: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; uploadId?: string }) {
    super(message, options);
    this.code = code;
    this.statusCode = ErrorCodes[code];
    this.uploadId = options?.uploadId;
  }
}

export const unauthorized = (message = 'A valid API key is required.') =>
  new AppError('unauthorized', message);
/** Authenticated, but the credential's role may not do this; the message names the role needed. */
export const forbidden = (message: string) => new AppError('forbidden', message);
export const notFound = (message: string) => new AppError('not_found', message);
export const conflict = (code: 'conflict' | 'link_not_pending', message: string) =>
  new AppError(code, message);
export const unavailable = (message: string, cause?: unknown) =>
  new AppError('unavailable', message, { cause });

/**
 * An error from the Azure SDK (its RestError: a storage request refused or failed). Its status and
 * message are the storage service's, about our storage: never a client's answer. Recognised by
 * name, so the kit needs no storage SDK.
 */
export function isStorageError(error: unknown): boolean {
  return error instanceof Error && error.name === 'RestError';
}

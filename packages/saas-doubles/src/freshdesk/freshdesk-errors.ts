// Freshdesk API v2 error bodies, as the real service sends them. Sources:
// - The v2 validation envelope `{description: 'Validation failed', errors: [{field, message, code}]}`
//   and its codes (missing_field, invalid_value, datatype_mismatch, invalid_field, invalid_size),
//   with the messages 'Unexpected/invalid field in request', 'Value set is of type X.It should be
//   a/an Y', 'It should contain elements of type valid file format only', 'It should not be blank
//   as this is a mandatory field': Freshdesk's own API controller tests (the notes create test
//   expects `attachments` / invalid_size with max_size and current_size in binary MB, e.g. 20_000_000
//   bytes shown as '19.1 MB'), and the arjunkomath/node-freshdesk-api issues #61 and PR #147 that
//   quote real responses.
// - 401 `{code: 'invalid_credentials', message: 'You have to be logged in to perform this action.'}`.
// - 404 for an unknown ticket: an empty body (node-freshdesk-api's response handler: "In most cases
//   the body is EMPTY").
// - 500 `{code: 'internal_error', message: "We're sorry, but something went wrong."}` (PR #147).
// - 429 carries Retry-After and the X-RateLimit-* headers (developers.freshdesk.com, Rate limit).
// The exact English text of invalid_size was not found; the message below follows Freshdesk's
// "It should ..." phrasing with the documented interpolations (max_size, current_size).

export type FreshdeskErrorCode =
  | 'missing_field'
  | 'invalid_value'
  | 'datatype_mismatch'
  | 'invalid_field'
  | 'invalid_size';

export interface FreshdeskFieldError {
  readonly field: string;
  readonly message: string;
  readonly code: FreshdeskErrorCode;
}

export interface FreshdeskValidationErrorBody {
  readonly description: 'Validation failed';
  readonly errors: readonly FreshdeskFieldError[];
}

export interface FreshdeskRequestErrorBody {
  readonly code: string;
  readonly message: string;
}

export function validationFailed(errors: readonly FreshdeskFieldError[]): FreshdeskValidationErrorBody {
  return { description: 'Validation failed', errors };
}

export const invalidCredentials: FreshdeskRequestErrorBody = {
  code: 'invalid_credentials',
  message: 'You have to be logged in to perform this action.',
};

export const internalError: FreshdeskRequestErrorBody = {
  code: 'internal_error',
  message: "We're sorry, but something went wrong.",
};

export const fieldErrors = {
  missing(field: string): FreshdeskFieldError {
    return { field, message: 'Mandatory attribute missing', code: 'missing_field' };
  },
  blank(field: string): FreshdeskFieldError {
    return { field, message: 'It should not be blank as this is a mandatory field', code: 'invalid_value' };
  },
  unexpected(field: string): FreshdeskFieldError {
    return { field, message: 'Unexpected/invalid field in request', code: 'invalid_field' };
  },
  type(field: string, given: string, expected: string): FreshdeskFieldError {
    return {
      field,
      message: `Value set is of type ${given}.It should be a/an ${expected}`,
      code: 'datatype_mismatch',
    };
  },
  notAFile(field: string): FreshdeskFieldError {
    return {
      field,
      message: 'It should contain elements of type valid file format only',
      code: 'datatype_mismatch',
    };
  },
  tooLarge(field: string, maxBytes: number, currentBytes: number): FreshdeskFieldError {
    return {
      field,
      message: `It should not be larger than ${humanSize(maxBytes)} (current size: ${humanSize(currentBytes)})`,
      code: 'invalid_size',
    };
  },
};

/** Binary megabytes with at most one decimal, as Freshdesk prints them: '20 MB', '19.1 MB'. */
export function humanSize(bytes: number): string {
  const mb = Math.round((bytes / (1024 * 1024)) * 10) / 10;
  return `${mb} MB`;
}

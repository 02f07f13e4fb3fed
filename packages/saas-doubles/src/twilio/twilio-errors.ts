// The error bodies the Twilio REST API answers with: `{code, message, more_info, status}`, where
// `code` is Twilio's own error number (documented at twilio.com/docs/api/errors/<code>).

export type TwilioErrorBody = {
  code: number;
  message: string;
  more_info: string;
  status: number;
};

export function twilioError(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** 20003: wrong or missing Account SID / Auth Token (HTTP Basic). */
export const authenticate = (): TwilioErrorBody => twilioError(401, 20003, 'Authenticate');

/** 20404: the message names the requested path, as Twilio's does. */
export const notFound = (path: string): TwilioErrorBody =>
  twilioError(404, 20404, `The requested resource ${path} was not found`);

/** 20004: a method the resource does not offer. */
export const methodNotAllowed = (): TwilioErrorBody => twilioError(405, 20004, 'Method not allowed');

/**
 * A 400 for a parameter TaskRouter refuses. Twilio's documentation does not list the code a Task
 * update answers for each refusal; 20001 is the REST API's general parameter code.
 */
export const invalidParameter = (message: string): TwilioErrorBody => twilioError(400, 20001, message);

/** 20412: `If-Match` did not match the task's current ETag. */
export const preconditionFailed = (): TwilioErrorBody => twilioError(412, 20412, 'Precondition Failed');

/** 20429: too many requests; the response carries `Retry-After`. */
export const tooManyRequests = (): TwilioErrorBody => twilioError(429, 20429, 'Too Many Requests');

export const serverError = (status: 500 | 503): TwilioErrorBody =>
  status === 500
    ? twilioError(500, 20500, 'Internal Server Error')
    : twilioError(503, 20503, 'Service Unavailable');

// The hop between the file viewer (upload-gateway, on the customers' host) and the console
// (link-service, where the agent's session cookie lives) for tenants whose files need sign-in:
// the viewer sends the agent to FILE_SIGN_IN_PATH with the viewer token; the console checks the
// session and sends the agent back to the viewer with a single-use grant for that file. Both
// parameter names say "token", so logs and traces redact their values.

/** link-service's route that signs an agent in for one file. */
export const FILE_SIGN_IN_PATH = '/console/files/open';

/** The viewer token (`/f/<token>`) of the file to open, on FILE_SIGN_IN_PATH. */
export const FILE_SIGN_IN_PARAMETER = 'file_token';

/** The single-use grant (ufg_…) the console hands back, on the viewer's URL. */
export const FILE_GRANT_PARAMETER = 'grant_token';

/** How long a grant opens its file: only the hop back to the viewer happens in between. */
export const FILE_GRANT_TTL_SECONDS = 60;

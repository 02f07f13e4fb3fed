// What the app's pages say when a call to Uplink fails, whichever way it went: a request template
// (Freshworks' proxy, with the integration key), or the page's own call with the agent's session.
// (The API's errors come from agent-api.ts itself: the panel's other modules are DOM code.)
import { ApiError, NetworkError } from '@uplink/links-panel/agent-api';
import { fill } from '@uplink/web/text';
import { appMessages } from './messages.ts';
import { TemplateError } from './templates.ts';

/** Uplink refused the session again right after a new one was minted: renewing more would loop. */
export class SessionRefusedError extends Error {
  constructor() {
    super(appMessages.sessionRefused);
  }
}

/** Statuses a gateway in front of Uplink answers when Uplink itself did not. */
const NOT_REACHED = new Set([502, 503, 504]);

export function errorText(error: unknown): string {
  const errors = appMessages.errors;
  if (error instanceof TemplateError || error instanceof SessionRefusedError) return error.message;
  if (error instanceof NetworkError) return errors.network;
  if (error instanceof ApiError) {
    const values = { status: error.status, message: error.message };
    // AgentSession.call renewed the session once already: Uplink refuses the new one too.
    if (error.status === 401) return appMessages.sessionRefused;
    if (NOT_REACHED.has(error.status)) return fill(errors.unreachable, values);
    return fill(errors.refused, values);
  }
  return fill(errors.generic, { message: error instanceof Error ? error.message : String(error) });
}

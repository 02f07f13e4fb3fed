// Uplink's API through the app's request templates (config/requests.json): Freshworks' proxy
// sends them with the integration key, which the app's pages never see. Only what an agent
// session may not do goes this way: minting the session, and reading the tenant's settings.
import type { CreatedAgentSession, SettingsView } from '@uplink/contracts';
import { fill } from '@uplink/web/text';
import type { FreshworksClient, LoggedInUser, TemplateResponse } from './freshworks.ts';
import { appMessages } from './messages.ts';

/** A template call that did not answer 2xx, with a message an agent can act on. */
export class TemplateError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The error envelope's message of Uplink's answer, when the body is one. */
function envelopeMessage(body: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as { error?: { message?: unknown } };
    return typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
  } catch {
    return undefined;
  }
}

/** What went wrong, by the status the template answered (the platform's own for unreachable hosts). */
export function templateError(failure: unknown): TemplateError {
  const { status, response } = (
    typeof failure === 'object' && failure !== null ? failure : {}
  ) as Partial<TemplateResponse>;
  const code = typeof status === 'number' ? status : 0;
  const errors = appMessages.errors;
  const values = { status: code || 'no answer', message: envelopeMessage(response) ?? String(code) };
  if (code === 401) return new TemplateError(code, fill(errors.wrongKey, values));
  if (code === 403) return new TemplateError(code, fill(errors.forbidden, values));
  // No answer, the proxy's 502/503/504, a timeout: Uplink was not reached (or not itself).
  if (code === 0 || code === 408 || code >= 500)
    return new TemplateError(code, fill(errors.unreachable, values));
  return new TemplateError(code, fill(errors.refused, values));
}

async function invokeJson<T>(client: FreshworksClient, name: string, body?: unknown): Promise<T> {
  let answer: TemplateResponse;
  try {
    answer = await client.request.invokeTemplate(
      name,
      body === undefined ? {} : { body: JSON.stringify(body) },
    );
  } catch (failure) {
    throw templateError(failure);
  }
  return JSON.parse(answer.response ?? '') as T;
}

export function getSettings(client: FreshworksClient): Promise<SettingsView> {
  return invokeJson(client, 'getSettings');
}

/** A short-lived agent session for the agent signed in to Freshdesk, for the pages' own calls (agent-session.ts). */
export function createAgentSession(
  client: FreshworksClient,
  user: LoggedInUser,
): Promise<CreatedAgentSession> {
  const name = user.contact?.name?.trim() || `Agent ${user.id}`;
  const email = user.contact?.email?.trim();
  return invokeJson(client, 'createAgentSession', {
    agent: { id: String(user.id), name, ...(email ? { email } : {}) },
    source: 'freshdesk',
  });
}

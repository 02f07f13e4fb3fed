// The agent's short-lived Uplink session, for every page of the app that calls Uplink itself (the
// sidebar's list, revoke, previews and live feed; the dialog's new link): minted for the agent
// signed in to Freshdesk through the createAgentSession template, kept in the tab's
// sessionStorage for the app's other pages, renewed before it ends, and once after Uplink
// refused it (401: it expired or was revoked), the refused call then made again.
import { AgentApi, ApiError } from '@uplink/links-panel';
import { SessionRefusedError } from './error-text.ts';
import type { FreshworksClient, LoggedInUser } from './freshworks.ts';
import { createAgentSession } from './templates.ts';

/** A session is renewed this long before it ends, so no call ever carries an expired one. */
const RENEW_BEFORE_MS = 5 * 60_000;
const RENEW_AT_LEAST_AFTER_MS = 30_000;
/** Two renewals after a 401 closer than this mean Uplink refuses new sessions too: stop and say so. */
const RENEWAL_LOOP_MS = 30_000;

/**
 * Where the agent's session is kept between the pages of the app an agent opens in one tab (the
 * sidebars of the tickets, the request dialog): Freshworks allows an app 50 template calls a
 * minute for the whole account, so each ticket view or dialog must not mint one. Short-lived and
 * the agent's own, like the console's key.
 */
const SESSION_STORAGE = 'uplink.agentSession';

type StoredSession = { agentId: string; token: string; expiresAt: string };

function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

export class AgentSession {
  #token: string | undefined;
  #renewTimer: number | undefined;
  #minting: Promise<void> | undefined;
  /** When a 401 last made this page renew (0: never), to tell a refusal from a loop. */
  #renewedAfterRefusalAt = 0;
  readonly #client: FreshworksClient;
  readonly #user: LoggedInUser;

  constructor(client: FreshworksClient, user: LoggedInUser) {
    this.#client = client;
    this.#user = user;
  }

  /** The bearer token for Uplink's API (AgentApi's `credential`); undefined until the first `call`. */
  get token(): string | undefined {
    return this.#token;
  }

  /**
   * `request` with the agent's session: the one this page holds, or the one the tab keeps when
   * it has a while to run, or a new one. When Uplink answers 401 (the session expired or was
   * revoked), a new session and `request` again, once.
   */
  async call<T>(request: () => Promise<T>): Promise<T> {
    if (this.#token === undefined) await this.#start();
    const used = this.#token;
    try {
      return await request();
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
    }
    await this.#renewAfterRefusal(used);
    return request();
  }

  /**
   * A new session because Uplink refused the session `refused`: nothing to do when it was
   * renewed since (calls refused together share one renewal). Not in a loop: a second refusal
   * this soon is a SessionRefusedError instead.
   */
  async #renewAfterRefusal(refused: string | undefined): Promise<void> {
    await this.#minting;
    if (this.#token !== refused) return;
    if (Date.now() - this.#renewedAfterRefusalAt < RENEWAL_LOOP_MS) throw new SessionRefusedError();
    this.#renewedAfterRefusalAt = Date.now();
    // Another page of the tab may have renewed it already: its session costs no template call.
    const stored = this.#usableStored();
    if (stored && stored.token !== this.#token) this.#use(stored);
    else await this.#renew();
  }

  async #start(): Promise<void> {
    const stored = this.#usableStored();
    if (stored) this.#use(stored);
    else await this.#renew();
  }

  /** A new session; concurrent callers share one minting. */
  #renew(): Promise<void> {
    this.#minting ??= this.#mint().finally(() => {
      this.#minting = undefined;
    });
    return this.#minting;
  }

  async #mint(): Promise<void> {
    const session = await createAgentSession(this.#client, this.#user);
    const stored: StoredSession = {
      agentId: String(this.#user.id),
      token: session.token,
      expiresAt: session.expiresAt,
    };
    try {
      sessionStorage.setItem(SESSION_STORAGE, JSON.stringify(stored));
    } catch {
      // Storage refused (a sandboxed frame): the session lives in this page only.
    }
    this.#use(stored);
  }

  #use(session: StoredSession): void {
    this.#token = session.token;
    window.clearTimeout(this.#renewTimer);
    const renewIn = Math.max(
      RENEW_AT_LEAST_AFTER_MS,
      Date.parse(session.expiresAt) - Date.now() - RENEW_BEFORE_MS,
    );
    this.#renewTimer = window.setTimeout(() => void this.#renew().catch(() => undefined), renewIn);
  }

  /** The session the tab keeps for this agent, when it has a while to run. */
  #usableStored(): StoredSession | undefined {
    try {
      const parsed = JSON.parse(sessionStorage.getItem(SESSION_STORAGE) ?? 'null') as StoredSession | null;
      return parsed?.agentId === String(this.#user.id) &&
        typeof parsed.token === 'string' &&
        Date.parse(parsed.expiresAt) - Date.now() > RENEW_BEFORE_MS
        ? parsed
        : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * Uplink's API as the agent signed in to Freshdesk, on the host the installation names (the
 * non-secure iparam `uplink_host`; request templates take a bare host and HTTPS, so this does too).
 */
export async function agentApiOf(
  client: FreshworksClient,
): Promise<{ api: AgentApi; session: AgentSession }> {
  const [{ loggedInUser }, iparams] = await Promise.all([
    client.data.get('loggedInUser'),
    client.iparams.get(),
  ]);
  const session = new AgentSession(client, loggedInUser);
  const api = new AgentApi({
    baseUrl: `https://${String(iparams.uplink_host)}`,
    credential: () => session.token,
  });
  return { api, session };
}

// The ticket sidebar's placement: the ticket's links, newest first and live, in the links panel
// the console shows too. The app mints a short-lived agent session for the agent signed in to
// Freshdesk through the createAgentSession template, then calls Uplink itself with it (the list,
// revoke, previews, a stream ticket per live connection); it renews the session before it ends.
import {
  AgentApi,
  ApiError,
  type FeedState,
  LinksPanel,
  LiveFeed,
  NetworkError,
  panelMessages,
  type Ticket,
} from '@uplink/links-panel';
import { fill } from '@uplink/web/text';
import type { FreshworksClient, LoggedInUser } from './freshworks.ts';
import { appMessages } from './messages.ts';
import { createAgentSession, TemplateError } from './templates.ts';

/** A session is renewed this long before it ends, so no call ever carries an expired one. */
const RENEW_BEFORE_MS = 5 * 60_000;
const RENEW_AT_LEAST_AFTER_MS = 30_000;
/** Two renewals closer than this mean Uplink refuses new sessions too: stop and say so. */
const RENEWAL_LOOP_MS = 30_000;

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the sidebar has no #${id}`);
  return found as T;
}

function errorText(error: unknown): string {
  if (error instanceof TemplateError) return error.message;
  if (error instanceof NetworkError) return appMessages.errors.network;
  return fill(appMessages.errors.generic, {
    message: error instanceof Error ? error.message : String(error),
  });
}

/**
 * Where the agent's session is kept between the sidebars of the tickets an agent opens in one
 * tab: Freshworks allows an app 50 template calls a minute for the whole account, so each
 * ticket view must not mint one. Short-lived and the agent's own, like the console's key.
 */
const SESSION_STORAGE = 'uplink.agentSession';

type StoredSession = { agentId: string; token: string; expiresAt: string };

/** The agent's session: minted through the template, renewed ahead of its end or after a 401. */
class AgentSession {
  #token: string | undefined;
  #renewTimer: number | undefined;
  #minting: Promise<void> | undefined;
  readonly #client: FreshworksClient;
  readonly #user: LoggedInUser;

  constructor(client: FreshworksClient, user: LoggedInUser) {
    this.#client = client;
    this.#user = user;
  }

  get token(): string | undefined {
    return this.#token;
  }

  /** The session this tab already holds for this agent when it has a while to run, or a new one. */
  async start(): Promise<void> {
    const stored = this.#stored();
    if (stored && Date.parse(stored.expiresAt) - Date.now() > RENEW_BEFORE_MS) this.#use(stored);
    else await this.renew();
  }

  /** A new session; concurrent callers share one minting. */
  renew(): Promise<void> {
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
    this.#renewTimer = window.setTimeout(() => void this.renew().catch(() => undefined), renewIn);
  }

  #stored(): StoredSession | undefined {
    try {
      const parsed = JSON.parse(sessionStorage.getItem(SESSION_STORAGE) ?? 'null') as StoredSession | null;
      return parsed?.agentId === String(this.#user.id) && typeof parsed.token === 'string'
        ? parsed
        : undefined;
    } catch {
      return undefined;
    }
  }
}

async function start(): Promise<void> {
  const el = {
    streamState: byId<HTMLElement>('stream-state'),
    error: byId<HTMLElement>('sidebar-error'),
    list: byId<HTMLUListElement>('link-list'),
    empty: byId<HTMLElement>('links-empty'),
    announcer: byId<HTMLElement>('announcer'),
  };
  const client = await app.initialized();
  const [{ ticket: freshdeskTicket }, { loggedInUser }, iparams] = await Promise.all([
    client.data.get('ticket'),
    client.data.get('loggedInUser'),
    client.iparams.get(),
  ]);
  const ticket: Ticket = { provider: 'freshdesk', id: String(freshdeskTicket.id) };
  const session = new AgentSession(client, loggedInUser);
  const api = new AgentApi({
    baseUrl: `https://${String(iparams.uplink_host)}`,
    credential: () => session.token,
  });

  const announce = (text: string) => {
    el.announcer.textContent = '';
    window.setTimeout(() => {
      el.announcer.textContent = text;
    }, 50);
  };
  const feedStates: Record<FeedState, string> = {
    live: panelMessages.live,
    reconnecting: panelMessages.reconnecting,
    polling: panelMessages.polling,
  };

  let feed: LiveFeed | undefined;

  /** A 401 renews the session, but not in a loop: a second one this soon is shown instead. */
  let lastRenewal = 0;

  /**
   * The list and the live feed, on the session this tab holds (`renew`: on a new one, since the
   * one held ended: expired or revoked).
   */
  async function restart(renew: boolean): Promise<void> {
    feed?.stop();
    feed = undefined;
    try {
      if (renew && Date.now() - lastRenewal < RENEWAL_LOOP_MS) {
        throw new Error(appMessages.sessionRefused);
      }
      if (renew) lastRenewal = Date.now();
      await (renew ? session.renew() : session.start());
      panel.replaceAll(await api.links(ticket));
    } catch (error) {
      // The session this tab kept may have been revoked since: a new one, once.
      if (!renew && error instanceof ApiError && error.status === 401) return restart(true);
      el.error.textContent = fill(appMessages.sessionFailed, { message: errorText(error) });
      return;
    }
    el.error.textContent = '';
    feed = new LiveFeed(api, ticket, {
      snapshot: (links) => panel.replaceAll(links),
      link: (link) => panel.upsert(link),
      state: (state) => {
        el.streamState.textContent = feedStates[state];
      },
      unauthorized: () => void restart(true),
    });
    feed.start();
  }

  /** A failed call: a 401 renews the session; anything else is said. */
  function failed(error: unknown): void {
    if (error instanceof ApiError && error.status === 401) void restart(true);
    else announce(errorText(error));
  }

  const panel = new LinksPanel(el.list, el.empty, panelMessages, {
    announce,
    async revoke(link) {
      try {
        panel.upsert(await api.revoke(link.id));
      } catch (error) {
        failed(error);
        if (error instanceof ApiError && error.status === 409) panel.replaceAll(await api.links(ticket));
      }
    },
    async fileUrl(link) {
      try {
        return await api.fileUrl(link.id);
      } catch (error) {
        failed(error);
        return undefined;
      }
    },
    async fileRendering(link) {
      try {
        return await api.fileRendering(link.id);
      } catch (error) {
        failed(error);
        return undefined;
      }
    },
  });

  window.addEventListener('pagehide', () => {
    feed?.stop();
    panel.dispose();
  });
  await restart(false);
}

void start();

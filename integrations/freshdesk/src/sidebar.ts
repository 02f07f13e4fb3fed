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

  /** A new session; concurrent callers share one minting. */
  renew(): Promise<void> {
    this.#minting ??= this.#mint().finally(() => {
      this.#minting = undefined;
    });
    return this.#minting;
  }

  async #mint(): Promise<void> {
    const session = await createAgentSession(this.#client, this.#user);
    this.#token = session.token;
    window.clearTimeout(this.#renewTimer);
    const renewIn = Math.max(
      RENEW_AT_LEAST_AFTER_MS,
      Date.parse(session.expiresAt) - Date.now() - RENEW_BEFORE_MS,
    );
    this.#renewTimer = window.setTimeout(() => void this.renew().catch(() => undefined), renewIn);
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

  /** The session ended (expired, revoked): a new one, then the list and the live feed again. */
  async function restart(): Promise<void> {
    feed?.stop();
    feed = undefined;
    try {
      await session.renew();
      panel.replaceAll(await api.links(ticket));
    } catch (error) {
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
      unauthorized: () => void restart(),
    });
    feed.start();
  }

  /** A failed call: a 401 renews the session; anything else is said. */
  function failed(error: unknown): void {
    if (error instanceof ApiError && error.status === 401) void restart();
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
  await restart();
}

void start();

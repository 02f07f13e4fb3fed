// The ticket sidebar's placement: the ticket's links, newest first and live, in the links panel
// the console shows too. It calls Uplink itself with the agent's session (agent-session.ts: the
// list, revoke, previews, a stream ticket per live connection).
import {
  ApiError,
  byId,
  type FeedState,
  LinksPanel,
  LiveFeed,
  panelMessages,
  type Ticket,
} from '@uplink/links-panel';
import { fill } from '@uplink/web/text';
import { agentApiOf } from './agent-session.ts';
import { errorText, SessionRefusedError } from './error-text.ts';
import { appMessages } from './messages.ts';

async function start(): Promise<void> {
  const el = {
    streamState: byId<HTMLElement>('stream-state'),
    error: byId<HTMLElement>('sidebar-error'),
    list: byId<HTMLUListElement>('link-list'),
    empty: byId<HTMLElement>('links-empty'),
    announcer: byId<HTMLElement>('announcer'),
  };
  const client = await app.initialized();
  const [{ ticket: freshdeskTicket }, { api, session }] = await Promise.all([
    client.data.get('ticket'),
    agentApiOf(client),
  ]);
  const ticket: Ticket = { provider: 'freshdesk', id: String(freshdeskTicket.id) };

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

  /**
   * The list and the live feed, on the agent's session: after Uplink refused it (a 401, the
   * stream's end), on a new one unless it was renewed since (AgentSession.call).
   */
  async function restart(): Promise<void> {
    feed?.stop();
    feed = undefined;
    try {
      panel.replaceAll(await session.call(() => api.links(ticket)));
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

  /**
   * A failed action (after AgentSession.call's renewal, for a 401): a session Uplink still
   * refuses stops the panel, which says so; anything else is said.
   */
  function failed(error: unknown): void {
    if ((error instanceof ApiError && error.status === 401) || error instanceof SessionRefusedError) {
      void restart();
    } else announce(errorText(error));
  }

  const panel = new LinksPanel(el.list, el.empty, panelMessages, {
    announce,
    async revoke(link) {
      try {
        panel.upsert(await session.call(() => api.revoke(link.id)));
      } catch (error) {
        failed(error);
        if (error instanceof ApiError && error.status === 409) panel.replaceAll(await api.links(ticket));
      }
    },
    async fileUrl(link, file) {
      try {
        return await session.call(() => api.fileUrl(link.id, file.uploadId));
      } catch (error) {
        failed(error);
        return undefined;
      }
    },
    async fileRendering(link, file) {
      try {
        return await session.call(() => api.fileRendering(link.id, file.uploadId));
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

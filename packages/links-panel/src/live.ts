// Live updates of one ticket's links: Server-Sent Events (`snapshot`, then one `link` event per
// change). Each connection takes a fresh stream ticket, which opens the stream once: when a
// stream ends (its lifetime, the network), the feed reconnects with a new ticket and resumes
// after the last event it saw; when it ends because its credential was revoked or expired
// (`credential-ended`), the page is told to sign in again instead. When the stream cannot be opened at all, the page polls the
// list instead.
import type { LinkView } from '@uplink/contracts';
import { type AgentApi, ApiError, type Ticket } from './agent-api.ts';

export type FeedState = 'live' | 'reconnecting' | 'polling';

export type FeedHooks = {
  snapshot(links: LinkView[]): void;
  link(link: LinkView): void;
  state(state: FeedState): void;
  unauthorized(): void;
};

const POLL_MS = 3_000;
/** The first reconnection comes at once; each failed one doubles the wait, up to the maximum. */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 15_000;

export class LiveFeed {
  private source: EventSource | undefined;
  private pollTimer: number | undefined;
  private reconnectTimer: number | undefined;
  private stopped = false;
  /** The id of the last event received: the next connection resumes after it. */
  private lastEventId: string | undefined;
  private failedReconnections = 0;
  private readonly api: AgentApi;
  private readonly ticket: Ticket;
  private readonly hooks: FeedHooks;

  constructor(api: AgentApi, ticket: Ticket, hooks: FeedHooks) {
    this.api = api;
    this.ticket = ticket;
    this.hooks = hooks;
  }

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.source?.close();
    this.source = undefined;
    if (this.pollTimer !== undefined) window.clearTimeout(this.pollTimer);
    if (this.reconnectTimer !== undefined) window.clearTimeout(this.reconnectTimer);
  }

  private async connect(): Promise<void> {
    let url: string;
    try {
      url = await this.api.streamUrl(this.ticket, this.lastEventId);
    } catch (error) {
      if (this.stopped) return;
      if (error instanceof ApiError && error.status === 401) this.hooks.unauthorized();
      // Refused (an older server without stream tickets): poll. Unreachable: try again.
      else if (error instanceof ApiError) this.startPolling();
      else this.reconnectLater();
      return;
    }
    if (this.stopped) return;
    const source = new EventSource(url);
    this.source = source;
    source.addEventListener('open', () => {
      this.failedReconnections = 0;
      this.hooks.state('live');
    });
    source.addEventListener('snapshot', (event) => {
      const message = event as MessageEvent<string>;
      this.lastEventId = message.lastEventId;
      this.hooks.snapshot((JSON.parse(message.data) as { links: LinkView[] }).links);
    });
    source.addEventListener('link', (event) => {
      const message = event as MessageEvent<string>;
      this.lastEventId = message.lastEventId;
      this.hooks.link(JSON.parse(message.data) as LinkView);
    });
    // The server ends the stream this way once the credential that opened it no longer works:
    // reconnecting would only be refused, so the page signs in again (or mints a new session).
    source.addEventListener('credential-ended', () => {
      source.close();
      this.source = undefined;
      if (!this.stopped) this.hooks.unauthorized();
    });
    source.addEventListener('error', () => {
      // CLOSED: refused outright (a rejected ticket, too many streams, not an event stream).
      const refused = source.readyState === EventSource.CLOSED;
      // Otherwise EventSource would reconnect by itself, to this URL, whose ticket is used up.
      source.close();
      this.source = undefined;
      if (this.stopped) return;
      if (refused) {
        this.startPolling();
      } else {
        this.hooks.state('reconnecting');
        this.reconnectLater();
      }
    });
  }

  private reconnectLater(): void {
    const wait = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** this.failedReconnections);
    this.failedReconnections++;
    this.reconnectTimer = window.setTimeout(() => void this.connect(), wait);
  }

  private startPolling(): void {
    this.hooks.state('polling');
    const poll = async () => {
      if (this.stopped) return;
      try {
        this.hooks.snapshot(await this.api.links(this.ticket));
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          this.hooks.unauthorized();
          return;
        }
      }
      if (!this.stopped) this.pollTimer = window.setTimeout(poll, POLL_MS);
    };
    this.pollTimer = window.setTimeout(poll, POLL_MS);
  }
}

// Live updates of one ticket's links: Server-Sent Events (`snapshot`, then one `link` event per
// change; EventSource reconnects by itself and resumes with Last-Event-ID). When the stream
// cannot be opened at all, the console polls the list instead.
import type { LinkView } from '@uplink/contracts';
import { type Api, ApiError, type Ticket } from './api.ts';

export type FeedState = 'live' | 'reconnecting' | 'polling';

export type FeedHooks = {
  snapshot(links: LinkView[]): void;
  link(link: LinkView): void;
  state(state: FeedState): void;
  unauthorized(): void;
};

const POLL_MS = 3_000;

export class LiveFeed {
  private source: EventSource | undefined;
  private pollTimer: number | undefined;
  private stopped = false;
  private readonly api: Api;
  private readonly ticket: Ticket;
  private readonly hooks: FeedHooks;

  constructor(api: Api, ticket: Ticket, hooks: FeedHooks) {
    this.api = api;
    this.ticket = ticket;
    this.hooks = hooks;
  }

  start(): void {
    const source = new EventSource(this.api.streamUrl(this.ticket));
    this.source = source;
    source.addEventListener('open', () => this.hooks.state('live'));
    source.addEventListener('snapshot', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as { links: LinkView[] };
      this.hooks.snapshot(data.links);
    });
    source.addEventListener('link', (event) => {
      this.hooks.link(JSON.parse((event as MessageEvent<string>).data) as LinkView);
    });
    source.addEventListener('error', () => {
      if (this.stopped) return;
      if (source.readyState === EventSource.CLOSED) {
        // Refused outright (no stream route, a rejected key, not an event stream): poll instead.
        source.close();
        this.source = undefined;
        this.startPolling();
      } else {
        this.hooks.state('reconnecting');
      }
    });
  }

  stop(): void {
    this.stopped = true;
    this.source?.close();
    this.source = undefined;
    if (this.pollTimer !== undefined) window.clearTimeout(this.pollTimer);
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

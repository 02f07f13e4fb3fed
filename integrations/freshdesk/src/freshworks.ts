// The parts of the Freshworks app SDK's front-end client (platform 3.0) this app uses, as its
// documentation describes them. The platform's client script (`{{{appclient}}}`, loaded first
// by every page) defines the global `app`.

/** What `client.request.invokeTemplate` resolves with, and rejects with (then `status` is the failure's). */
export type TemplateResponse = {
  status: number;
  headers?: Record<string, string>;
  /** The response body, as text. */
  response?: string;
  /** Who failed: the app's target ("APP") or the platform's proxy (timeouts, unreachable hosts). */
  errorSource?: string;
};

/** `client.data.get('loggedInUser')`: the agent signed in to Freshdesk. */
export type LoggedInUser = {
  id: number | string;
  contact?: { name?: string; email?: string };
};

/** `client.data.get('ticket')`: the ticket on screen. */
export type FreshdeskTicket = { id: number | string };

/** An event `client.instance.receive` hands over: `helper.getData()` is `{sender, message}`. */
export type InstanceEvent = { helper: { getData(): { sender?: unknown; message?: unknown } } };

export type FreshworksClient = {
  data: {
    get(name: 'ticket'): Promise<{ ticket: FreshdeskTicket }>;
    get(name: 'loggedInUser'): Promise<{ loggedInUser: LoggedInUser }>;
  };
  /** Installation parameters; secure ones are never given to the browser. */
  iparams: { get(): Promise<Record<string, unknown>> };
  request: {
    invokeTemplate(
      name: string,
      options: { context?: Record<string, string>; body?: string },
    ): Promise<TemplateResponse>;
  };
  interface: { trigger(action: string, options: Record<string, unknown>): Promise<unknown> };
  instance: {
    /** In a modal, `modalData` is what the opener passed to showModal as `data`. */
    context(): Promise<{ instanceId: string; location: string; parentId?: string; modalData?: unknown }>;
    send(options: { message: unknown }): void;
    receive(callback: (event: InstanceEvent) => void): void;
    close(): void;
  };
  events: { on(event: string, callback: () => void): void };
};

declare global {
  /** Defined by the platform's client script. */
  const app: { initialized(): Promise<FreshworksClient> };
}

/** The message the request dialog sends the editor placement once the link exists. */
export type LinkCreatedMessage = { type: 'uplink.link-created'; shortId: string; replyText: string };

export function isLinkCreatedMessage(message: unknown): message is LinkCreatedMessage {
  if (typeof message !== 'object' || message === null) return false;
  const candidate = message as Partial<LinkCreatedMessage>;
  return (
    candidate.type === 'uplink.link-created' &&
    typeof candidate.shortId === 'string' &&
    typeof candidate.replyText === 'string'
  );
}

/** What the editor placement hands the request dialog when it opens it (`showModal`'s `data`). */
export type DialogData = { ticketId: string };

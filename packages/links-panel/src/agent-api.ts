// The calls an agent's page makes to Uplink's API (what an agent session may do): list, create
// and revoke a ticket's links, read a received file, and open the live stream. Same-origin
// pages (the console) call relative paths; a helpdesk app framed elsewhere calls Uplink's
// origin, which must list the app's origin in CORS_ALLOWED_ORIGINS.
import type {
  AuditEntryView,
  CreatedLink,
  FileUrl,
  LinkHistory,
  LinkList,
  LinkView,
  StreamTicket,
} from '@uplink/contracts';

export type Ticket = { provider: string; id: string };

/** An API answer other than 2xx, with the error envelope's code and message when there is one. */
/** `?uploadId=` naming one file of a link, or nothing for its first. */
function fileQuery(uploadId: string | undefined): string {
  return uploadId === undefined ? '' : `?${new URLSearchParams({ uploadId })}`;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Thrown when the server could not be reached at all. */
export class NetworkError extends Error {}

export function ticketPath(ticket: Ticket): string {
  return `/v1/tickets/${encodeURIComponent(ticket.provider)}/${encodeURIComponent(ticket.id)}/links`;
}

/** The envelope's code and message of an error answer, or the status line when it has none. */
async function apiErrorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  let envelope: { error?: { code?: string; message?: string } } = {};
  try {
    envelope = text ? (JSON.parse(text) as typeof envelope) : {};
  } catch {
    // Not our envelope (a proxy's error page): the status says enough.
  }
  return new ApiError(
    response.status,
    envelope.error?.code,
    envelope.error?.message ?? `${response.status} ${response.statusText}`.trim(),
  );
}

export type AgentApiOptions = {
  /** Uplink's origin, e.g. `https://uplink.acme.example`; '' for a page on Uplink's own origin. */
  baseUrl: string;
  /**
   * The bearer credential for each call, asked at every call (a short-lived session may have
   * been renewed meanwhile); undefined when the browser's session cookie signs the page in.
   */
  credential: () => string | undefined;
};

export class AgentApi {
  readonly baseUrl: string;
  private readonly credential: () => string | undefined;

  constructor(options: AgentApiOptions) {
    this.baseUrl = options.baseUrl;
    this.credential = options.credential;
  }

  /** The response of a 2xx answer; an ApiError with the envelope's code otherwise. */
  protected async send(method: string, path: string, accept: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept };
    const credential = this.credential();
    if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        cache: 'no-store',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new NetworkError(error instanceof Error ? error.message : String(error));
    }
    if (!response.ok) throw await apiErrorOf(response);
    return response;
  }

  protected async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await (await this.send(method, path, 'application/json', body)).text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async links(ticket: Ticket): Promise<LinkView[]> {
    return (await this.call<LinkList>('GET', ticketPath(ticket))).links;
  }

  /** Without `validityHours`, the link gets the tenant's default validity. */
  createLink(
    ticket: Ticket,
    contextMessage: string | undefined,
    validityHours: number | undefined,
  ): Promise<CreatedLink> {
    return this.call('POST', '/v1/links', {
      ticket,
      ...(validityHours !== undefined ? { validityHours } : {}),
      ...(contextMessage ? { contextMessage } : {}),
    });
  }

  revoke(id: string): Promise<LinkView> {
    return this.call('DELETE', `/v1/links/${encodeURIComponent(id)}`);
  }

  /** Who did what with the link and when, oldest first (its audit entries). */
  async history(id: string): Promise<AuditEntryView[]> {
    return (await this.call<LinkHistory>('GET', `/v1/links/${encodeURIComponent(id)}/history`)).entries;
  }

  /**
   * A 5-minute read URL for one received file of the link (`uploadId`; the first file without
   * it), for the inline preview.
   */
  fileUrl(id: string, uploadId?: string): Promise<FileUrl> {
    return this.call('GET', `/v1/links/${encodeURIComponent(id)}/file-url${fileQuery(uploadId)}`);
  }

  /** One of the link's HEIC/HEIF photos as a JPEG, for browsers that cannot show HEIC. */
  async fileRendering(id: string, uploadId?: string): Promise<Blob> {
    const path = `/v1/links/${encodeURIComponent(id)}/file-rendering${fileQuery(uploadId)}`;
    return (await this.send('GET', path, 'image/jpeg')).blob();
  }

  /**
   * The URL of the ticket's live feed (Server-Sent Events), resuming after `lastEventId` when
   * given. EventSource cannot send headers, and no credential ever goes in a URL: the URL carries
   * a stream ticket instead, which opens it once within a minute. Ask again for each connection.
   */
  async streamUrl(ticket: Ticket, lastEventId: string | undefined): Promise<string> {
    const { streamTicket } = await this.call<StreamTicket>('POST', '/v1/stream-tickets', { ticket });
    const query = new URLSearchParams({ stream_ticket: streamTicket });
    if (lastEventId) query.set('lastEventId', lastEventId);
    return `${this.baseUrl}${ticketPath(ticket)}/stream?${query}`;
  }
}

// The tenant API as the console uses it: every call carries the pasted API key, or, signed in
// with the identity provider, the browser's session cookie (same origin: fetch sends it).
import type {
  ApiKeyList,
  ApiKeyRole,
  ApiKeyView,
  CreatedApiKey,
  CreatedLink,
  FileUrl,
  LinkList,
  LinkView,
  SettingsUpdate,
  SettingsView,
  StreamTicket,
} from '@uplink/contracts';
import { type ConsoleSession, SESSION_PATH } from '../../src/console/config.ts';

export type Ticket = { provider: string; id: string };

/** An API answer other than 2xx, with the error envelope's code and message when there is one. */
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

export class Api {
  /** The pasted API key; undefined when the session cookie signs the console in. */
  readonly key: string | undefined;
  constructor(key: string | undefined) {
    this.key = key;
  }

  /** The response of a 2xx answer; an ApiError with the envelope's code otherwise. */
  private async send(method: string, path: string, accept: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (this.key !== undefined) headers.authorization = `Bearer ${this.key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        cache: 'no-store',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new NetworkError(error instanceof Error ? error.message : String(error));
    }
    if (!response.ok) {
      const text = await response.text();
      let envelope: { error?: { code?: string; message?: string } } = {};
      try {
        envelope = text ? (JSON.parse(text) as typeof envelope) : {};
      } catch {
        // Not our envelope (a proxy's error page): the status says enough.
      }
      throw new ApiError(
        response.status,
        envelope.error?.code,
        envelope.error?.message ?? `${response.status} ${response.statusText}`,
      );
    }
    return response;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await (await this.send(method, path, 'application/json', body)).text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Who the credential signs in (the session cookie's role). */
  session(): Promise<ConsoleSession> {
    return this.call('GET', SESSION_PATH);
  }

  settings(): Promise<SettingsView> {
    return this.call('GET', '/v1/settings');
  }

  saveSettings(update: SettingsUpdate): Promise<SettingsView> {
    return this.call('PUT', '/v1/settings', update);
  }

  async apiKeys(): Promise<ApiKeyView[]> {
    return (await this.call<ApiKeyList>('GET', '/v1/api-keys')).keys;
  }

  createApiKey(label: string, role: ApiKeyRole, expiresInDays: number | undefined): Promise<CreatedApiKey> {
    return this.call('POST', '/v1/api-keys', { label, role, ...(expiresInDays ? { expiresInDays } : {}) });
  }

  revokeApiKey(id: string): Promise<ApiKeyView> {
    return this.call('DELETE', `/v1/api-keys/${encodeURIComponent(id)}`);
  }

  async links(ticket: Ticket): Promise<LinkView[]> {
    return (await this.call<LinkList>('GET', ticketPath(ticket))).links;
  }

  createLink(
    ticket: Ticket,
    contextMessage: string | undefined,
    validityHours: number,
  ): Promise<CreatedLink> {
    return this.call('POST', '/v1/links', {
      ticket,
      validityHours,
      ...(contextMessage ? { contextMessage } : {}),
    });
  }

  revoke(id: string): Promise<LinkView> {
    return this.call('DELETE', `/v1/links/${encodeURIComponent(id)}`);
  }

  /** A 5-minute read URL for the link's received file, for the inline preview. */
  fileUrl(id: string): Promise<FileUrl> {
    return this.call('GET', `/v1/links/${encodeURIComponent(id)}/file-url`);
  }

  /** The link's HEIC/HEIF photo as a JPEG, for browsers that cannot show HEIC. */
  async fileRendering(id: string): Promise<Blob> {
    return (
      await this.send('GET', `/v1/links/${encodeURIComponent(id)}/file-rendering`, 'image/jpeg')
    ).blob();
  }

  /**
   * The URL of the ticket's live feed (Server-Sent Events), resuming after `lastEventId` when
   * given. EventSource cannot send headers, and the API key never goes in a URL: the URL carries
   * a stream ticket instead, which opens it once within a minute. Ask again for each connection.
   */
  async streamUrl(ticket: Ticket, lastEventId: string | undefined): Promise<string> {
    const { streamTicket } = await this.call<StreamTicket>('POST', '/v1/stream-tickets', { ticket });
    const query = new URLSearchParams({ stream_ticket: streamTicket });
    if (lastEventId) query.set('lastEventId', lastEventId);
    return `${ticketPath(ticket)}/stream?${query}`;
  }
}

import {
  type DestinationsUpdate,
  type DestinationsView,
  isAllowedServiceUrl,
  TWILIO_TASKROUTER_URL,
} from '@uplink/contracts';
import { AppError, type Sealed, type SecretBox } from '@uplink/kit';
import type { TenantStore } from './tenant-store.ts';

/** How each destination is stored: secrets sealed, the rest plain. */
export type StoredDestinations = {
  freshdesk?: { baseUrl: string; apiKey: Sealed };
  twilioFlex?: {
    accountSid: string;
    workspaceSid: string;
    baseUrl: string;
    mediaEntry: 'Referenced' | 'Embedded';
    authToken: Sealed;
  };
  webhook?: { url: string; secret: Sealed };
};

/** A tenant's destinations with their secrets opened: only note-relay asks for these. */
export type Destinations = {
  freshdesk?: { baseUrl: string; apiKey: string };
  twilioFlex?: {
    accountSid: string;
    workspaceSid: string;
    baseUrl: string;
    mediaEntry: 'Referenced' | 'Embedded';
    authToken: string;
  };
  webhook?: { url: string; secret: string };
};

const invalid = (message: string) => new AppError('invalid_request', message);

function checkUrl(field: string, value: string): string {
  if (!isAllowedServiceUrl(value)) {
    throw invalid(`${field} must be an https URL (plain http only for 127.0.0.1 or localhost)`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * Where a tenant's links are delivered: Freshdesk, Twilio Flex, a webhook. Lives in the tenant
 * document beside the settings. Credentials are sealed with the deployment's key (bound to
 * tenant and field), never returned by the API, and opened only for delivery.
 */
export class DestinationStore {
  private readonly tenants: Pick<TenantStore, 'readDestinations' | 'writeDestinations'>;
  private readonly box: SecretBox | undefined;

  /** Without a SecretBox, destinations can be shown but not changed or opened. */
  constructor(
    tenants: Pick<TenantStore, 'readDestinations' | 'writeDestinations'>,
    box: SecretBox | undefined,
  ) {
    this.tenants = tenants;
    this.box = box;
  }

  async view(tenantId: string): Promise<DestinationsView | null> {
    const record = await this.tenants.readDestinations(tenantId);
    return record ? toView(record.stored) : null;
  }

  async open(tenantId: string): Promise<Destinations | null> {
    const record = await this.tenants.readDestinations(tenantId);
    if (!record) return null;
    const { stored } = record;
    const box = this.requireBox();
    const aad = (field: string) => `${tenantId}/${field}`;
    return {
      ...(stored.freshdesk
        ? {
            freshdesk: {
              ...stored.freshdesk,
              apiKey: box.open(stored.freshdesk.apiKey, aad('freshdesk.apiKey')),
            },
          }
        : {}),
      ...(stored.twilioFlex
        ? {
            twilioFlex: {
              ...stored.twilioFlex,
              authToken: box.open(stored.twilioFlex.authToken, aad('twilioFlex.authToken')),
            },
          }
        : {}),
      ...(stored.webhook
        ? { webhook: { ...stored.webhook, secret: box.open(stored.webhook.secret, aad('webhook.secret')) } }
        : {}),
    };
  }

  /** Applies a change; a destination being added needs all its fields, a change any of them. */
  async update(tenantId: string, update: DestinationsUpdate, now: Date): Promise<DestinationsView | null> {
    // A concurrent change makes the write conflict: apply this one again on top of it.
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await this.tenants.readDestinations(tenantId);
      if (!record) return null;
      const next = this.applyUpdate(tenantId, record.stored, update);
      const written = await this.tenants.writeDestinations(tenantId, record.revision, next, now);
      if (written === null) return null;
      if (written !== 'conflict') return toView(written.stored);
    }
    throw new AppError('conflict', 'The destinations kept changing while saving; try again.');
  }

  private applyUpdate(
    tenantId: string,
    current: StoredDestinations,
    update: DestinationsUpdate,
  ): StoredDestinations {
    const box = this.requireBox();
    const seal = (field: string, value: string) => box.seal(value, `${tenantId}/${field}`);
    const next: StoredDestinations = { ...current };

    if (update.freshdesk === null) delete next.freshdesk;
    else if (update.freshdesk) {
      const { baseUrl, apiKey } = update.freshdesk;
      const old = current.freshdesk;
      if (!old && (!baseUrl || !apiKey)) throw invalid('destinations/freshdesk needs baseUrl and apiKey');
      next.freshdesk = {
        baseUrl: baseUrl ? checkUrl('destinations/freshdesk/baseUrl', baseUrl) : (old?.baseUrl ?? ''),
        apiKey: apiKey ? seal('freshdesk.apiKey', apiKey) : (old?.apiKey as Sealed),
      };
    }
    if (update.twilioFlex === null) delete next.twilioFlex;
    else if (update.twilioFlex) {
      const change = update.twilioFlex;
      const old = current.twilioFlex;
      if (!old && (!change.accountSid || !change.workspaceSid || !change.authToken)) {
        throw invalid('destinations/twilioFlex needs accountSid, workspaceSid and authToken');
      }
      next.twilioFlex = {
        accountSid: change.accountSid ?? old?.accountSid ?? '',
        workspaceSid: change.workspaceSid ?? old?.workspaceSid ?? '',
        baseUrl: change.baseUrl
          ? checkUrl('destinations/twilioFlex/baseUrl', change.baseUrl)
          : (old?.baseUrl ?? TWILIO_TASKROUTER_URL),
        mediaEntry: change.mediaEntry ?? old?.mediaEntry ?? 'Referenced',
        authToken: change.authToken
          ? seal('twilioFlex.authToken', change.authToken)
          : (old?.authToken as Sealed),
      };
    }
    if (update.webhook === null) delete next.webhook;
    else if (update.webhook) {
      const { url, secret } = update.webhook;
      const old = current.webhook;
      if (!old && (!url || !secret)) throw invalid('destinations/webhook needs url and secret');
      next.webhook = {
        url: url ? checkUrl('destinations/webhook/url', url) : (old?.url ?? ''),
        secret: secret ? seal('webhook.secret', secret) : (old?.secret as Sealed),
      };
    }
    return next;
  }

  private requireBox(): SecretBox {
    if (!this.box) {
      throw new AppError(
        'unavailable',
        'UPLINK_SECRET_KEYS is not configured, so credentials cannot be stored.',
      );
    }
    return this.box;
  }
}

function toView(stored: StoredDestinations): DestinationsView {
  return {
    freshdesk: stored.freshdesk ? { baseUrl: stored.freshdesk.baseUrl, apiKeySet: true } : null,
    twilioFlex: stored.twilioFlex
      ? {
          accountSid: stored.twilioFlex.accountSid,
          workspaceSid: stored.twilioFlex.workspaceSid,
          baseUrl: stored.twilioFlex.baseUrl,
          mediaEntry: stored.twilioFlex.mediaEntry,
          authTokenSet: true,
        }
      : null,
    webhook: stored.webhook ? { url: stored.webhook.url, secretSet: true } : null,
  };
}

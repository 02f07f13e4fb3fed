import { type DestinationsUpdate, type DestinationsView, TWILIO_TASKROUTER_URL } from '@uplink/contracts';
import { AppError, type Sealed, type SecretBox, SecretKeyError } from '@uplink/kit';
import { checkDestinationUrl, type DestinationKind, type DestinationPolicy } from './destination-urls.ts';

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

/** Destinations as stored, with a revision counting their changes (0: never set). */
export type DestinationsRecord = { stored: StoredDestinations; revision: number };

/**
 * Where a tenant's destinations are kept: the part of the TenantStore (@uplink/store) that
 * DestinationStore works on.
 */
export interface DestinationsStorage {
  /** The tenant's stored destinations (secrets sealed) and their revision; null when there is no such tenant. */
  readDestinations(tenantId: string): Promise<DestinationsRecord | null>;
  /**
   * Replaces the tenant's destinations if they are still at `revision`, so two concurrent
   * changes cannot silently undo each other. Null when there is no such tenant; 'conflict' when
   * they changed meanwhile.
   */
  writeDestinations(
    tenantId: string,
    revision: number,
    next: StoredDestinations,
    now: Date,
  ): Promise<DestinationsRecord | null | 'conflict'>;
}

/** A stored destination that must not be used, and what the tenant should do about it. */
export type RefusedDestination = { refused: string };

/**
 * A tenant's destinations with their secrets opened: only note-relay asks for these. A
 * destination whose stored address breaks the rules, or whose secret was not sealed for that
 * address, comes as `refused` and is never called.
 */
export type Destinations = {
  freshdesk?: { baseUrl: string; apiKey: string } | RefusedDestination;
  twilioFlex?:
    | {
        accountSid: string;
        workspaceSid: string;
        baseUrl: string;
        mediaEntry: 'Referenced' | 'Embedded';
        authToken: string;
      }
    | RefusedDestination;
  webhook?: { url: string; secret: string } | RefusedDestination;
};

const invalid = (message: string) => new AppError('invalid_request', message);

const NAMES: Record<DestinationKind, { title: string; url: string; secret: string; secretTitle: string }> = {
  freshdesk: { title: 'Freshdesk', url: 'baseUrl', secret: 'apiKey', secretTitle: 'API key' },
  twilioFlex: { title: 'Twilio Flex', url: 'baseUrl', secret: 'authToken', secretTitle: 'auth token' },
  webhook: { title: 'webhook', url: 'url', secret: 'secret', secretTitle: 'signing secret' },
};

/**
 * What a sealed secret is bound to: the tenant, the field, and the origin it was entered for (for
 * Twilio also the account, whose token it is). A secret copied to another tenant, field, origin
 * or account does not open, even when the database is written directly.
 */
function boundData(tenantId: string, kind: DestinationKind, url: string, accountSid?: string): string {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    origin = url;
  }
  const account = accountSid === undefined ? '' : `#${accountSid}`;
  return `${tenantId}/${kind}.${NAMES[kind].secret}@${origin}${account}`;
}

/** How secrets were bound before they were bound to their origin: tenant and field only. */
function legacyData(tenantId: string, kind: DestinationKind): string {
  return `${tenantId}/${kind}.${NAMES[kind].secret}`;
}

/**
 * Where a tenant's links are delivered: Freshdesk, Twilio Flex, a webhook. Lives in the tenant
 * document beside the settings. Credentials are sealed with the deployment's key, bound to the
 * tenant, the field and the origin they were entered for; never returned by the API, and opened
 * only for delivery, only for a stored address the rules (destination-urls.ts) still allow.
 *
 * Changing where a secret goes (a destination's URL; Twilio's account) needs the secret again in
 * the same change: whoever holds the tenant's API key must not be able to send the stored one
 * elsewhere. Secrets sealed before this binding (tenant and field only) still open, for the
 * address stored with them, and are sealed again bound to it on the tenant's next change.
 */
export class DestinationStore {
  readonly #tenants: DestinationsStorage;
  readonly #box: SecretBox | undefined;
  readonly #policy: DestinationPolicy;

  /** Without a SecretBox, destinations can be shown but not changed or opened. */
  constructor(tenants: DestinationsStorage, box: SecretBox | undefined, policy: DestinationPolicy) {
    this.#tenants = tenants;
    this.#box = box;
    this.#policy = policy;
  }

  async view(tenantId: string): Promise<DestinationsView | null> {
    const record = await this.#tenants.readDestinations(tenantId);
    return record ? toView(record.stored) : null;
  }

  async open(tenantId: string): Promise<Destinations | null> {
    const record = await this.#tenants.readDestinations(tenantId);
    if (!record) return null;
    const { freshdesk, twilioFlex, webhook } = record.stored;
    const opened: Destinations = {};
    if (freshdesk) {
      opened.freshdesk = this.#openOne(
        tenantId,
        'freshdesk',
        freshdesk.baseUrl,
        freshdesk.apiKey,
        undefined,
        (apiKey) => ({
          baseUrl: freshdesk.baseUrl,
          apiKey,
        }),
      );
    }
    if (twilioFlex) {
      opened.twilioFlex = this.#openOne(
        tenantId,
        'twilioFlex',
        twilioFlex.baseUrl,
        twilioFlex.authToken,
        twilioFlex.accountSid,
        (authToken) => ({ ...twilioFlex, authToken }),
      );
    }
    if (webhook) {
      opened.webhook = this.#openOne(
        tenantId,
        'webhook',
        webhook.url,
        webhook.secret,
        undefined,
        (secret) => ({
          url: webhook.url,
          secret,
        }),
      );
    }
    return opened;
  }

  /** Applies a change; a destination being added needs all its fields, a change any of them. */
  async update(tenantId: string, update: DestinationsUpdate, now: Date): Promise<DestinationsView | null> {
    // A concurrent change makes the write conflict: apply this one again on top of it.
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await this.#tenants.readDestinations(tenantId);
      if (!record) return null;
      const next = this.#applyUpdate(tenantId, record.stored, update);
      const written = await this.#tenants.writeDestinations(tenantId, record.revision, next, now);
      if (written === null) return null;
      if (written !== 'conflict') return toView(written.stored);
    }
    throw new AppError('conflict', 'The destinations kept changing while saving; try again.');
  }

  #openOne<T>(
    tenantId: string,
    kind: DestinationKind,
    url: string,
    sealed: Sealed,
    accountSid: string | undefined,
    build: (secret: string) => T,
  ): T | RefusedDestination {
    const { title, secretTitle } = NAMES[kind];
    const checked = checkDestinationUrl(kind, url, this.#policy);
    if (!checked.ok) {
      return {
        refused: `The ${title} destination's stored address ${checked.problem}; set it again in Settings.`,
      };
    }
    const secret = this.#openSecret(tenantId, kind, url, sealed, accountSid);
    if (secret === undefined) {
      return {
        refused: `The ${title} ${secretTitle} was not entered for ${checked.url.origin}; enter it again in Settings.`,
      };
    }
    return build(secret);
  }

  /** The secret, when it was sealed for this address (or before secrets were bound to one). */
  #openSecret(
    tenantId: string,
    kind: DestinationKind,
    url: string,
    sealed: Sealed,
    accountSid: string | undefined,
  ): string | undefined {
    const box = this.#requireBox();
    for (const associatedData of [boundData(tenantId, kind, url, accountSid), legacyData(tenantId, kind)]) {
      try {
        return box.open(sealed, associatedData);
      } catch (error) {
        // A missing key is the operator's to fix, not a sign the secret belongs elsewhere.
        if (error instanceof SecretKeyError) throw error;
      }
    }
    return undefined;
  }

  /** A kept secret, sealed again bound to its address when it was sealed the old way. */
  #keep(
    tenantId: string,
    kind: DestinationKind,
    url: string,
    sealed: Sealed,
    accountSid: string | undefined,
  ): Sealed {
    const box = this.#requireBox();
    const bound = boundData(tenantId, kind, url, accountSid);
    try {
      box.open(sealed, bound);
      return sealed;
    } catch (error) {
      if (error instanceof SecretKeyError) throw error;
    }
    try {
      return box.seal(box.open(sealed, legacyData(tenantId, kind)), bound);
    } catch (error) {
      if (error instanceof SecretKeyError) throw error;
      // Opens for neither: left as it is, and refused at delivery until entered again.
      return sealed;
    }
  }

  /** The URL in its stored form, or a 400 naming the field. */
  #checkedUrl(kind: DestinationKind, value: string): string {
    const checked = checkDestinationUrl(kind, value, this.#policy);
    if (!checked.ok) throw invalid(`destinations/${kind}/${NAMES[kind].url} ${checked.problem}`);
    return checked.normalized;
  }

  #sameUrl(kind: DestinationKind, stored: string, next: string): boolean {
    const before = checkDestinationUrl(kind, stored, this.#policy);
    return before.ok ? before.normalized === next : stored === next;
  }

  #applyUpdate(
    tenantId: string,
    current: StoredDestinations,
    update: DestinationsUpdate,
  ): StoredDestinations {
    const box = this.#requireBox();
    const next: StoredDestinations = {};
    const secretAgain = (kind: DestinationKind, changed: string) => {
      const { secret } = NAMES[kind];
      return invalid(
        `destinations/${kind}/${secret} is required when ${changed} changes: a stored secret is only ever sent where it was entered.`,
      );
    };

    if (update.freshdesk === undefined) {
      if (current.freshdesk) {
        const { baseUrl, apiKey } = current.freshdesk;
        next.freshdesk = { baseUrl, apiKey: this.#keep(tenantId, 'freshdesk', baseUrl, apiKey, undefined) };
      }
    } else if (update.freshdesk !== null) {
      const { baseUrl, apiKey } = update.freshdesk;
      const old = current.freshdesk;
      if (!old && (!baseUrl || !apiKey)) throw invalid('destinations/freshdesk needs baseUrl and apiKey');
      const url = this.#checkedUrl('freshdesk', baseUrl ?? old?.baseUrl ?? '');
      if (old && !apiKey && !this.#sameUrl('freshdesk', old.baseUrl, url)) {
        throw secretAgain('freshdesk', 'destinations/freshdesk/baseUrl');
      }
      next.freshdesk = {
        baseUrl: url,
        apiKey: apiKey
          ? box.seal(apiKey, boundData(tenantId, 'freshdesk', url))
          : this.#keep(tenantId, 'freshdesk', url, (old as { apiKey: Sealed }).apiKey, undefined),
      };
    }

    if (update.twilioFlex === undefined) {
      if (current.twilioFlex) {
        const old = current.twilioFlex;
        next.twilioFlex = {
          ...old,
          authToken: this.#keep(tenantId, 'twilioFlex', old.baseUrl, old.authToken, old.accountSid),
        };
      }
    } else if (update.twilioFlex !== null) {
      const change = update.twilioFlex;
      const old = current.twilioFlex;
      if (!old && (!change.accountSid || !change.workspaceSid || !change.authToken)) {
        throw invalid('destinations/twilioFlex needs accountSid, workspaceSid and authToken');
      }
      const url = this.#checkedUrl('twilioFlex', change.baseUrl ?? old?.baseUrl ?? TWILIO_TASKROUTER_URL);
      const accountSid = change.accountSid ?? old?.accountSid ?? '';
      if (old && !change.authToken) {
        if (!this.#sameUrl('twilioFlex', old.baseUrl, url)) {
          throw secretAgain('twilioFlex', 'destinations/twilioFlex/baseUrl');
        }
        if (accountSid !== old.accountSid)
          throw secretAgain('twilioFlex', 'destinations/twilioFlex/accountSid');
      }
      next.twilioFlex = {
        accountSid,
        workspaceSid: change.workspaceSid ?? old?.workspaceSid ?? '',
        baseUrl: url,
        mediaEntry: change.mediaEntry ?? old?.mediaEntry ?? 'Referenced',
        authToken: change.authToken
          ? box.seal(change.authToken, boundData(tenantId, 'twilioFlex', url, accountSid))
          : this.#keep(tenantId, 'twilioFlex', url, (old as { authToken: Sealed }).authToken, accountSid),
      };
    }

    if (update.webhook === undefined) {
      if (current.webhook) {
        const { url, secret } = current.webhook;
        next.webhook = { url, secret: this.#keep(tenantId, 'webhook', url, secret, undefined) };
      }
    } else if (update.webhook !== null) {
      const { url: newUrl, secret } = update.webhook;
      const old = current.webhook;
      if (!old && (!newUrl || !secret)) throw invalid('destinations/webhook needs url and secret');
      const url = this.#checkedUrl('webhook', newUrl ?? old?.url ?? '');
      if (old && !secret && !this.#sameUrl('webhook', old.url, url)) {
        throw secretAgain('webhook', 'destinations/webhook/url');
      }
      next.webhook = {
        url,
        secret: secret
          ? box.seal(secret, boundData(tenantId, 'webhook', url))
          : this.#keep(tenantId, 'webhook', url, (old as { secret: Sealed }).secret, undefined),
      };
    }
    return next;
  }

  #requireBox(): SecretBox {
    if (!this.#box) {
      throw new AppError(
        'unavailable',
        'UPLINK_SECRET_KEYS is not configured, so credentials cannot be stored.',
      );
    }
    return this.#box;
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

// The API keys page, for admins: the tenant's keys from GET /v1/api-keys (never the keys
// themselves), a form that makes one and shows it once, and a Revoke button per working key.
// Built with DOM calls and textContent only, so no text becomes markup.
import type { ApiKeyRole, ApiKeyView } from '@uplink/contracts';
import { formatTime } from '@uplink/links-panel';
import { fill } from '@uplink/web/text';
import type { ConsoleConfig } from '../../src/console/config.ts';
import type { Api } from './api.ts';
import { byId, cell, type PageHooks } from './dom.ts';

type Messages = ConsoleConfig['messages'];

export class KeysPage {
  private readonly m: Messages;
  private readonly hooks: PageHooks;
  private api: Api | undefined;
  private readonly el = {
    list: byId<HTMLTableSectionElement>('key-list'),
    form: byId<HTMLFormElement>('key-form'),
    label: byId<HTMLInputElement>('key-label'),
    role: byId<HTMLSelectElement>('key-role'),
    expiry: byId<HTMLInputElement>('key-expiry'),
    error: byId<HTMLElement>('key-error'),
    created: byId<HTMLElement>('key-created'),
    createdValue: byId<HTMLInputElement>('key-created-value'),
    copy: byId<HTMLButtonElement>('key-copy'),
  };

  constructor(m: Messages, hooks: PageHooks) {
    this.m = m;
    this.hooks = hooks;
    this.el.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create();
    });
    this.el.copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(this.el.createdValue.value);
      } catch {
        this.el.createdValue.select();
        document.execCommand('copy');
      }
      this.hooks.announce(this.m.keyCopied);
    });
  }

  /** Fills the list with `api`'s keys; rejects when they cannot be read (403 for non-admins). */
  async open(api: Api): Promise<void> {
    const keys = await api.apiKeys();
    this.api = api;
    this.el.error.textContent = '';
    this.el.created.hidden = true;
    this.el.createdValue.value = '';
    this.render(keys);
  }

  /** Forgets the key shown once, so it does not stay on a page left open. */
  close(): void {
    this.el.created.hidden = true;
    this.el.createdValue.value = '';
  }

  private render(keys: readonly ApiKeyView[]): void {
    this.el.list.replaceChildren(...keys.map((key) => this.row(key)));
  }

  private row(key: ApiKeyView): HTMLTableRowElement {
    const m = this.m;
    const tr = document.createElement('tr');
    const prefix = cell(`${key.prefix}…`);
    prefix.className = 'key-prefix';
    tr.append(
      prefix,
      cell(key.label),
      cell(m.keyRoles[key.role]),
      cell(formatTime(key.createdAt), key.createdAt),
      key.lastUsedAt ? cell(formatTime(key.lastUsedAt), key.lastUsedAt) : cell(m.keyNever),
      key.expiresAt ? cell(formatTime(key.expiresAt), key.expiresAt) : cell(m.keyNoExpiry),
    );
    const actions = document.createElement('td');
    if (key.revokedAt) {
      actions.textContent = fill(m.keyRevoked, { time: formatTime(key.revokedAt) });
    } else {
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.className = 'button';
      revoke.textContent = m.keyRevoke;
      revoke.setAttribute('aria-label', fill(m.keyRevokeLabel, { prefix: key.prefix, label: key.label }));
      revoke.addEventListener('click', () => void this.revoke(key, tr));
      actions.append(revoke);
    }
    tr.append(actions);
    return tr;
  }

  private async revoke(key: ApiKeyView, row: HTMLTableRowElement): Promise<void> {
    if (!this.api) return;
    try {
      row.replaceWith(this.row(await this.api.revokeApiKey(key.id)));
      this.hooks.announce(fill(this.m.keyRevokedAnnounce, { prefix: key.prefix, label: key.label }));
    } catch (error) {
      if (!this.hooks.unauthorized(error)) this.hooks.announce(this.hooks.errorText(error));
    }
  }

  private async create(): Promise<void> {
    if (!this.api) return;
    const label = this.el.label.value.trim();
    if (label === '') {
      this.el.label.focus();
      return;
    }
    const days = this.el.expiry.value === '' ? undefined : Number(this.el.expiry.value);
    const submit = this.el.form.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (submit) submit.disabled = true;
    this.el.error.textContent = '';
    try {
      const { key, ...view } = await this.api.createApiKey(label, this.el.role.value as ApiKeyRole, days);
      this.el.list.append(this.row(view));
      this.el.form.reset();
      this.el.createdValue.value = key;
      this.el.created.hidden = false;
      this.el.created.focus();
      this.hooks.announce(this.m.keyCreatedAnnounce);
    } catch (error) {
      if (!this.hooks.unauthorized(error)) this.el.error.textContent = this.hooks.errorText(error);
    } finally {
      if (submit) submit.disabled = false;
    }
  }
}

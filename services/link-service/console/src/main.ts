// The agent console's script: wires the server-rendered page. It never runs inline (the CSP
// forbids it); its configuration comes from a JSON element, which never executes.

import type { Role } from '@uplink/contracts';
import { type FeedState, LinksPanel, LiveFeed } from '@uplink/links-panel';
import { fill } from '@uplink/web/text';
import {
  API_KEY_STORAGE,
  CONFIG_ELEMENT_ID,
  type ConsoleConfig,
  SIGN_IN_PATH,
  SIGN_OUT_PATH,
} from '../../src/console/config.ts';
import { Api, ApiError, NetworkError, type Ticket } from './api.ts';
import { AuditPage } from './audit-page.ts';
import { byId } from './dom.ts';
import { KeysPage } from './keys-page.ts';
import { SettingsForm } from './settings-form.ts';

const TICKET_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function readConfig(): ConsoleConfig | undefined {
  const text = document.getElementById(CONFIG_ELEMENT_ID)?.textContent;
  return text ? (JSON.parse(text) as ConsoleConfig) : undefined;
}

/** sessionStorage, or memory where a framed page may not use it. */
const keyStore = {
  memory: undefined as string | undefined,
  get(): string | undefined {
    try {
      return sessionStorage.getItem(API_KEY_STORAGE) ?? undefined;
    } catch {
      return this.memory;
    }
  },
  set(key: string | undefined): void {
    this.memory = key;
    try {
      if (key === undefined) sessionStorage.removeItem(API_KEY_STORAGE);
      else sessionStorage.setItem(API_KEY_STORAGE, key);
    } catch {
      // Storage refused: the key lives in memory for this page only.
    }
  },
};

/**
 * What signs the console in: an API key pasted into the form (kept in the tab, sent as a bearer
 * credential), or the session cookie the identity provider's sign-in set (HttpOnly: the script
 * never sees it; the browser sends it with every call). Either way GET /v1/whoami says its role.
 */
type Credential = { kind: 'key'; key: string } | { kind: 'cookie' };

function start(config: ConsoleConfig): void {
  const m = config.messages;
  const el = {
    signOut: byId<HTMLButtonElement>('sign-out'),
    settingsToggle: byId<HTMLButtonElement>('settings-toggle'),
    settings: byId<HTMLElement>('settings'),
    settingsForm: byId<HTMLFormElement>('settings-form'),
    settingsError: byId<HTMLElement>('settings-error'),
    keysToggle: byId<HTMLButtonElement>('keys-toggle'),
    keys: byId<HTMLElement>('keys'),
    auditToggle: byId<HTMLButtonElement>('audit-toggle'),
    audit: byId<HTMLElement>('audit'),
    signIn: byId<HTMLElement>('sign-in'),
    signInForm: byId<HTMLFormElement>('sign-in-form'),
    signInProvider: document.getElementById('sign-in-provider') as HTMLAnchorElement | null,
    apiKey: byId<HTMLInputElement>('api-key'),
    signInError: byId<HTMLElement>('sign-in-error'),
    workspace: byId<HTMLElement>('workspace'),
    ticketForm: byId<HTMLFormElement>('ticket-form'),
    provider: byId<HTMLSelectElement>('provider'),
    ticketId: byId<HTMLInputElement>('ticket-id'),
    ticketError: byId<HTMLElement>('ticket-error'),
    ticket: byId<HTMLElement>('ticket'),
    ticketHeading: byId<HTMLElement>('ticket-heading'),
    requestFile: byId<HTMLButtonElement>('request-file'),
    reply: byId<HTMLElement>('reply'),
    replyText: byId<HTMLTextAreaElement>('reply-text'),
    copyReply: byId<HTMLButtonElement>('copy-reply'),
    streamState: byId<HTMLElement>('stream-state'),
    list: byId<HTMLUListElement>('link-list'),
    empty: byId<HTMLElement>('links-empty'),
    dialog: byId<HTMLDialogElement>('request-dialog'),
    requestForm: byId<HTMLFormElement>('request-form'),
    context: byId<HTMLTextAreaElement>('context'),
    validity: byId<HTMLSelectElement>('validity'),
    requestError: byId<HTMLElement>('request-error'),
    requestCancel: byId<HTMLButtonElement>('request-cancel'),
    announcer: byId<HTMLElement>('announcer'),
  };

  let api: Api | undefined;
  let credential: Credential | undefined;
  let ticket: Ticket | undefined;
  let feed: LiveFeed | undefined;
  let defaultValidity = config.defaultValidityHours;
  const settingsForm = new SettingsForm(config);

  const announce = (text: string) => {
    el.announcer.textContent = '';
    window.setTimeout(() => {
      el.announcer.textContent = text;
    }, 50);
  };

  const errorText = (error: unknown) => {
    if (error instanceof NetworkError) return m.errors.network;
    return fill(m.errors.generic, { message: error instanceof Error ? error.message : String(error) });
  };

  const panel = new LinksPanel(el.list, el.empty, m, {
    announce,
    async revoke(link) {
      if (!api) return;
      try {
        panel.upsert(await api.revoke(link.id));
      } catch (error) {
        if (!handleUnauthorized(error)) announce(errorText(error));
        if (error instanceof ApiError && error.status === 409 && ticket) {
          panel.replaceAll(await api.links(ticket));
        }
      }
    },
    async fileUrl(link, file) {
      if (!api) return undefined;
      try {
        return await api.fileUrl(link.id, file.uploadId);
      } catch (error) {
        if (!handleUnauthorized(error)) announce(errorText(error));
        return undefined;
      }
    },
    async history(link) {
      if (!api) return undefined;
      try {
        return await api.history(link.id);
      } catch (error) {
        if (!handleUnauthorized(error)) announce(errorText(error));
        return undefined;
      }
    },
    async fileRendering(link, file) {
      if (!api) return undefined;
      try {
        return await api.fileRendering(link.id, file.uploadId);
      } catch (error) {
        if (!handleUnauthorized(error)) announce(errorText(error));
        return undefined;
      }
    },
  });

  const keysPage = new KeysPage(m, { announce, unauthorized: handleUnauthorized, errorText });
  const auditPage = new AuditPage(m, { announce, unauthorized: handleUnauthorized, errorText });

  const feedStates: Record<FeedState, string> = {
    live: m.live,
    reconnecting: m.reconnecting,
    polling: m.polling,
  };

  function showSignIn(message = ''): void {
    feed?.stop();
    feed = undefined;
    api = undefined;
    credential = undefined;
    ticket = undefined;
    panel.clear();
    // The provider's sign-in comes back to this ticket.
    if (el.signInProvider)
      el.signInProvider.href = `${SIGN_IN_PATH}?return=${encodeURIComponent(window.location.pathname + window.location.search)}`;
    el.workspace.hidden = true;
    el.settings.hidden = true;
    el.keys.hidden = true;
    el.audit.hidden = true;
    keysPage.close();
    el.signOut.hidden = true;
    el.settingsToggle.hidden = true;
    el.keysToggle.hidden = true;
    el.auditToggle.hidden = true;
    el.signIn.hidden = false;
    el.signInError.textContent = message;
    el.apiKey.value = '';
    el.apiKey.focus();
  }

  /** A 401 from any call: the key or the session no longer works, so the agent signs in again. */
  function handleUnauthorized(error: unknown): boolean {
    if (!(error instanceof ApiError && error.status === 401)) return false;
    const ended = credential?.kind === 'cookie' ? m.errors.sessionEnded : m.errors.signedOut;
    keyStore.set(undefined);
    showSignIn(ended);
    return true;
  }

  async function signIn(next: Credential, fromStorage: boolean): Promise<void> {
    const candidate = new Api(next.kind === 'key' ? next.key : undefined);
    let role: Role;
    try {
      ({ role } = await candidate.whoami());
      // Agents may not read settings; keys and admin sessions may (the tenant's default validity is there).
      if (role !== 'agent') defaultValidity = (await candidate.settings()).defaultValidityHours;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        keyStore.set(undefined);
        // No session cookie (or an ended one) on opening the console: just the sign-in.
        if (next.kind === 'cookie') showSignIn();
        else showSignIn(fromStorage ? m.errors.signedOut : m.errors.invalidKey);
      } else {
        showSignIn(errorText(error));
      }
      return;
    }
    api = candidate;
    credential = next;
    if (next.kind === 'key') keyStore.set(next.key);
    el.signIn.hidden = true;
    el.signInError.textContent = '';
    el.workspace.hidden = false;
    el.signOut.hidden = false;
    // Only what the role may use: settings for admins and integrations (who may read them; only
    // admins may save), API keys for admins.
    el.settingsToggle.hidden = role === 'agent';
    el.keysToggle.hidden = role !== 'admin';
    el.auditToggle.hidden = role !== 'admin';
    showView('tickets');

    const params = new URLSearchParams(window.location.search);
    const provider = params.get('provider');
    const id = params.get('ticket');
    if (provider && config.providers.includes(provider)) el.provider.value = provider;
    if (id) el.ticketId.value = id;
    if (provider && id && config.providers.includes(provider) && TICKET_ID.test(id)) {
      await openTicket({ provider, id });
    } else {
      el.ticketId.focus();
    }
  }

  async function openTicket(next: Ticket): Promise<void> {
    if (!api) return;
    feed?.stop();
    feed = undefined;
    panel.clear();
    ticket = next;
    el.reply.hidden = true;
    el.streamState.textContent = '';
    el.ticketHeading.textContent = fill(m.ticketHeading, {
      ticket: next.id,
      provider: el.provider.selectedOptions[0]?.textContent ?? next.provider,
    });
    el.ticket.hidden = false;
    const url = new URL(window.location.href);
    url.searchParams.set('provider', next.provider);
    url.searchParams.set('ticket', next.id);
    window.history.replaceState(null, '', url);
    try {
      panel.replaceAll(await api.links(next));
    } catch (error) {
      if (!handleUnauthorized(error)) el.ticketError.textContent = errorText(error);
      return;
    }
    if (ticket !== next) return;
    const current = new LiveFeed(api, next, {
      snapshot: (links) => panel.replaceAll(links),
      link: (link) => panel.upsert(link),
      state: (state) => {
        el.streamState.textContent = feedStates[state];
      },
      unauthorized: () => handleUnauthorized(new ApiError(401, 'unauthorized', '')),
    });
    feed = current;
    current.start();
  }

  el.signInForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = el.apiKey.value.trim();
    if (key === '') {
      el.signInError.textContent = m.errors.invalidKey;
      el.apiKey.focus();
      return;
    }
    void signIn({ kind: 'key', key }, false);
  });

  /** One page at a time: the ticket view, the settings, the API keys or the audit log; each toggle leads back. */
  function showView(view: 'tickets' | 'settings' | 'keys' | 'audit'): void {
    el.workspace.hidden = view !== 'tickets';
    el.settings.hidden = view !== 'settings';
    el.keys.hidden = view !== 'keys';
    el.audit.hidden = view !== 'audit';
    if (view !== 'keys') keysPage.close();
    el.settingsToggle.textContent = view === 'settings' ? m.settingsClose : m.settingsOpen;
    el.settingsToggle.setAttribute('aria-expanded', String(view === 'settings'));
    el.keysToggle.textContent = view === 'keys' ? m.keysClose : m.keysOpen;
    el.keysToggle.setAttribute('aria-expanded', String(view === 'keys'));
    el.auditToggle.textContent = view === 'audit' ? m.auditClose : m.auditOpen;
    el.auditToggle.setAttribute('aria-expanded', String(view === 'audit'));
  }

  el.auditToggle.addEventListener('click', async () => {
    if (!api) return;
    if (!el.audit.hidden) {
      showView('tickets');
      return;
    }
    try {
      await auditPage.open(api);
    } catch (error) {
      // Only admins may read the audit log: the 403's message names the role needed.
      if (!handleUnauthorized(error)) announce(errorText(error));
      return;
    }
    showView('audit');
    byId('audit-heading').focus();
  });

  el.keysToggle.addEventListener('click', async () => {
    if (!api) return;
    if (!el.keys.hidden) {
      showView('tickets');
      return;
    }
    try {
      await keysPage.open(api);
    } catch (error) {
      // Only admins may see keys: the 403's message names the role needed.
      if (!handleUnauthorized(error)) announce(errorText(error));
      return;
    }
    showView('keys');
    byId('keys-heading').focus();
  });

  el.settingsToggle.addEventListener('click', async () => {
    if (!api) return;
    if (!el.settings.hidden) {
      showView('tickets');
      return;
    }
    el.settingsError.textContent = '';
    try {
      settingsForm.fill(await api.settings());
    } catch (error) {
      if (!handleUnauthorized(error)) announce(errorText(error));
      return;
    }
    showView('settings');
    byId('settings-heading').focus();
  });

  el.settingsForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!api) return;
    const update = settingsForm.changes();
    if (!update) {
      announce(m.settingsUnchanged);
      return;
    }
    const submit = el.settingsForm.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (submit) submit.disabled = true;
    el.settingsError.textContent = '';
    api
      .saveSettings(update)
      .then((saved) => {
        settingsForm.fill(saved);
        defaultValidity = saved.defaultValidityHours;
        announce(m.settingsSaved);
      })
      .catch((error: unknown) => {
        if (!handleUnauthorized(error)) el.settingsError.textContent = errorText(error);
      })
      .finally(() => {
        if (submit) submit.disabled = false;
      });
  });

  el.signOut.addEventListener('click', () => {
    const signedOut = credential;
    keyStore.set(undefined);
    showSignIn();
    // The session dies on the server too (revoked), and the browser drops its cookie.
    if (signedOut?.kind === 'cookie') void fetch(SIGN_OUT_PATH, { method: 'POST' }).catch(() => undefined);
  });

  el.ticketForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = el.ticketId.value.trim();
    if (!TICKET_ID.test(id)) {
      el.ticketError.textContent = m.errors.invalidTicket;
      el.ticketId.setAttribute('aria-invalid', 'true');
      el.ticketId.focus();
      return;
    }
    el.ticketError.textContent = '';
    el.ticketId.removeAttribute('aria-invalid');
    void openTicket({ provider: el.provider.value, id });
  });

  el.requestFile.addEventListener('click', () => {
    el.requestForm.reset();
    el.validity.value = String(defaultValidity);
    el.requestError.textContent = '';
    el.dialog.showModal();
    el.context.focus();
  });
  el.requestCancel.addEventListener('click', () => el.dialog.close());

  el.requestForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!api || !ticket) return;
    const submit = el.requestForm.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (submit) submit.disabled = true;
    const context = el.context.value.trim();
    api
      .createLink(ticket, context === '' ? undefined : context, Number(el.validity.value))
      .then((created) => {
        const { url: _url, replyText, ...view } = created;
        panel.upsert(view);
        el.dialog.close();
        el.replyText.value = replyText;
        el.reply.hidden = false;
        el.reply.focus();
        announce(fill(m.announceCreated, { tag: `#${view.shortId}` }));
      })
      .catch((error: unknown) => {
        if (handleUnauthorized(error)) {
          el.dialog.close();
          return;
        }
        el.requestError.textContent = errorText(error);
      })
      .finally(() => {
        if (submit) submit.disabled = false;
      });
  });

  el.copyReply.addEventListener('click', async () => {
    const text = el.replyText.value;
    try {
      await navigator.clipboard.writeText(text);
      announce(m.copied);
    } catch {
      // A framed page may not be allowed the async clipboard: copy the selected text instead.
      el.replyText.select();
      announce(document.execCommand('copy') ? m.copied : m.copyFailed);
    }
  });

  window.addEventListener('pagehide', () => {
    feed?.stop();
    panel.dispose();
  });

  /** A session cookie from the identity provider's sign-in signs the console in, when there is one. */
  async function resumeSession(): Promise<void> {
    await signIn({ kind: 'cookie' }, true);
  }

  const stored = keyStore.get();
  if (stored) void signIn({ kind: 'key', key: stored }, true);
  else if (config.providerSignIn) void resumeSession();
  else showSignIn();
}

const config = readConfig();
if (config) start(config);

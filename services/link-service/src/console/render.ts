import {
  DEFAULT_VALIDITY_HOURS,
  FLEX_MEDIA_ENTRY_TYPES,
  MAX_FILES_PER_SUBMISSION,
  MAX_SUBMISSION_BYTES,
  MAX_UPLOAD_BYTES,
  MEDIA_CATEGORIES,
  PROVIDERS,
  VALIDITY_HOURS,
} from '@uplink/contracts';
import { fill, html, htmlDocument } from '@uplink/web';
import { consoleAssets } from './assets.ts';
import { CONFIG_ELEMENT_ID, type ConsoleConfig, SIGN_IN_PATH } from './config.ts';
import { messages } from './messages.ts';

export type ConsolePageOptions = {
  /** Set when the deployment has an identity provider: the sign-in offers it first. */
  providerName?: string;
};

/**
 * The agent console: a sign-in form, the ticket picker, the links panel and the "Request a
 * file" dialog. The script fills in the links; the page itself holds no tenant data.
 */
export function renderConsolePage(options: ConsolePageOptions = {}): string {
  const m = messages.page;
  const { providerName } = options;
  const assets = consoleAssets();
  const config: ConsoleConfig = {
    providers: PROVIDERS,
    validityHours: VALIDITY_HOURS,
    defaultValidityHours: DEFAULT_VALIDITY_HOURS,
    mediaCategories: MEDIA_CATEGORIES,
    providerSignIn: providerName !== undefined,
    messages: messages.client,
  };
  return htmlDocument({
    lang: 'en',
    title: m.title,
    styleHref: assets.style,
    scriptHref: assets.script,
    config: { id: CONFIG_ELEMENT_ID, value: config },
    body: html`<header class="bar">
<p class="brand">${m.heading}</p>
<div class="bar-actions">
<button type="button" class="button quiet" id="settings-toggle" aria-controls="settings" aria-expanded="false" hidden>${m.settings.open}</button>
<button type="button" class="button quiet" id="keys-toggle" aria-controls="keys" aria-expanded="false" hidden>${m.keys.open}</button>
<button type="button" class="button quiet" id="audit-toggle" aria-controls="audit" aria-expanded="false" hidden>${m.audit.open}</button>
<button type="button" class="button quiet" id="sign-out" hidden>${m.signOut}</button>
</div>
</header>
<main class="console">
<h1 class="visually-hidden">${m.title}</h1>
<noscript><p class="notice">${m.noscript}</p></noscript>
<section class="card" id="sign-in" aria-labelledby="sign-in-heading" hidden>
<h2 id="sign-in-heading">${m.signIn.heading}</h2>
${
  providerName
    ? html`<p>${m.signIn.providerIntro}</p>
<p><a class="button primary" id="sign-in-provider" href="${SIGN_IN_PATH}">${fill(m.signIn.withProvider, { provider: providerName })}</a></p>
<h3>${m.signIn.keyHeading}</h3>`
    : ''
}
<p>${m.signIn.intro}</p>
<form id="sign-in-form" novalidate>
<label for="api-key">${m.signIn.keyLabel}</label>
<input type="password" id="api-key" name="apiKey" autocomplete="off" spellcheck="false" required aria-describedby="sign-in-error">
<p class="error" id="sign-in-error" role="alert"></p>
<button type="submit" class="button primary">${m.signIn.submit}</button>
</form>
</section>
<div id="workspace" hidden>
<form class="ticket-form" id="ticket-form" aria-label="${m.ticket.formLabel}" novalidate>
<div class="field">
<label for="provider">${m.ticket.providerLabel}</label>
<select id="provider" name="provider">${PROVIDERS.map(
      (provider) => html`<option value="${provider}">${m.ticket.providers[provider]}</option>`,
    )}</select>
</div>
<div class="field grow">
<label for="ticket-id">${m.ticket.idLabel}</label>
<input type="text" id="ticket-id" name="ticket" required maxlength="128" autocomplete="off" spellcheck="false" aria-describedby="ticket-error">
</div>
<button type="submit" class="button">${m.ticket.open}</button>
<p class="error" id="ticket-error" role="alert"></p>
</form>
<section class="ticket" id="ticket" aria-labelledby="ticket-heading" hidden>
<div class="ticket-head">
<h2 id="ticket-heading"></h2>
<button type="button" class="button primary" id="request-file">${m.request.button}</button>
</div>
<section class="card reply" id="reply" aria-labelledby="reply-heading" tabindex="-1" hidden>
<h3 id="reply-heading">${m.reply.heading}</h3>
<p>${m.reply.intro}</p>
<label for="reply-text" class="visually-hidden">${m.reply.label}</label>
<textarea id="reply-text" readonly rows="3"></textarea>
<button type="button" class="button" id="copy-reply">${m.reply.copy}</button>
</section>
<section class="links" aria-labelledby="links-heading">
<div class="links-head">
<h3 id="links-heading">${m.links.heading}</h3>
<p class="stream-state" id="stream-state"></p>
</div>
<p class="empty" id="links-empty" hidden>${m.links.empty}</p>
<ul class="link-list" id="link-list"></ul>
</section>
</section>
</div>
${settingsSection()}
${keysSection()}
${auditSection()}
<dialog class="dialog" id="request-dialog" aria-labelledby="request-heading">
<form id="request-form" novalidate>
<h2 id="request-heading">${m.request.heading}</h2>
<label for="context">${m.request.contextLabel}</label>
<textarea id="context" name="contextMessage" rows="3" maxlength="1000" aria-describedby="context-hint"></textarea>
<p class="hint" id="context-hint">${m.request.contextHint}</p>
<label for="validity">${m.request.validityLabel}</label>
<select id="validity" name="validityHours">${VALIDITY_HOURS.map(
      (hours) =>
        html`<option value="${hours}"${hours === DEFAULT_VALIDITY_HOURS ? html` selected` : ''}>${m.request.hours[hours]}</option>`,
    )}</select>
<p class="error" id="request-error" role="alert"></p>
<div class="actions">
<button type="submit" class="button primary">${m.request.submit}</button>
<button type="button" class="button" id="request-cancel">${m.request.cancel}</button>
</div>
</form>
</dialog>
<p class="visually-hidden" id="announcer" role="status" aria-live="polite"></p>
</main>`,
  });
}

const MB = 1024 * 1024;

/** The admins' audit log; the script fills the list from GET /v1/audit and checks the chain. */
function auditSection() {
  const m = messages.page.audit;
  const actions = Object.entries(messages.client.auditActions);
  return html`<section class="card settings" id="audit" aria-labelledby="audit-heading" hidden>
<h2 id="audit-heading" tabindex="-1">${m.heading}</h2>
<p class="hint">${m.intro}</p>
<form id="audit-form" novalidate>
<fieldset>
<legend>${m.filters}</legend>
<label for="audit-action">${m.actionLabel}</label>
<select id="audit-action"><option value="">${m.allActions}</option>${actions.map(
    ([action, label]) => html`<option value="${action}">${label}</option>`,
  )}</select>
<label for="audit-link">${m.linkLabel}</label>
<input type="text" id="audit-link" maxlength="100" autocomplete="off" spellcheck="false">
</fieldset>
<div class="actions">
<button type="submit" class="button primary">${m.apply}</button>
<button type="button" class="button" id="audit-verify">${m.verify}</button>
</div>
</form>
<p id="audit-verification" role="status"></p>
<table class="keys">
<caption>${m.listCaption}</caption>
<thead><tr><th scope="col">${m.timeColumn}</th><th scope="col">${m.actionColumn}</th><th scope="col">${m.actorColumn}</th><th scope="col">${m.linkColumn}</th><th scope="col">${m.detailsColumn}</th></tr></thead>
<tbody id="audit-list"></tbody>
</table>
<p class="empty" id="audit-empty" hidden></p>
<button type="button" class="button" id="audit-older" hidden>${m.older}</button>
</section>`;
}

/** The admins' page for API keys; the script fills the list from GET /v1/api-keys. */
function keysSection() {
  const m = messages.page.keys;
  return html`<section class="card settings" id="keys" aria-labelledby="keys-heading" hidden>
<h2 id="keys-heading" tabindex="-1">${m.heading}</h2>
<p class="hint">${m.intro}</p>
<table class="keys">
<caption>${m.listCaption}</caption>
<thead><tr><th scope="col">${m.prefixColumn}</th><th scope="col">${m.labelColumn}</th><th scope="col">${m.roleColumn}</th><th scope="col">${m.createdColumn}</th><th scope="col">${m.lastUsedColumn}</th><th scope="col">${m.expiresColumn}</th><th scope="col">${m.actionsColumn}</th></tr></thead>
<tbody id="key-list"></tbody>
</table>
<form id="key-form" novalidate>
<fieldset>
<legend>${m.create}</legend>
<label for="key-label">${m.labelLabel}</label>
<input type="text" id="key-label" required maxlength="100" autocomplete="off" aria-describedby="key-label-hint">
<p class="hint" id="key-label-hint">${m.labelHint}</p>
<label for="key-role">${m.roleLabel}</label>
<select id="key-role"><option value="integration">${m.roles.integration}</option><option value="admin">${m.roles.admin}</option></select>
<label for="key-expiry">${m.expiryLabel}</label>
<input type="number" id="key-expiry" min="1" max="3650" step="1" inputmode="numeric">
</fieldset>
<p class="error" id="key-error" role="alert"></p>
<button type="submit" class="button primary">${m.submit}</button>
</form>
<section class="reply" id="key-created" aria-labelledby="key-created-heading" tabindex="-1" hidden>
<h3 id="key-created-heading">${m.createdHeading}</h3>
<p>${m.createdIntro}</p>
<label for="key-created-value" class="visually-hidden">${m.createdLabel}</label>
<input type="text" id="key-created-value" readonly spellcheck="false">
<button type="button" class="button" id="key-copy">${m.copy}</button>
</section>
</section>`;
}

/** The settings form; the script fills it from GET /v1/settings and saves what changed. */
function settingsSection() {
  const m = messages.page.settings;
  const text = (
    id: string,
    label: string,
    options: { required?: boolean; maxLength?: number; url?: boolean; hint?: string } = {},
  ) => html`<label for="${id}">${label}</label>
<input type="text" id="${id}" autocomplete="off" spellcheck="false"${options.required ? html` required` : ''}${
    options.maxLength ? html` maxlength="${options.maxLength}"` : ''
  }${options.url ? html` inputmode="url"` : ''}${options.hint ? html` aria-describedby="${id}-hint"` : ''}>
${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}`;
  const secret = (id: string, label: string) => html`<label for="${id}">${label}</label>
<input type="password" id="${id}" autocomplete="new-password" spellcheck="false" aria-describedby="${id}-state">
<p class="hint" id="${id}-state"></p>`;
  // Shown by the script only while that destination is stored.
  const remove = (id: string, destination: string) => html`<div class="check" id="${id}-row" hidden>
<input type="checkbox" id="${id}"><label for="${id}">${fill(m.removeDestination, { destination })}</label>
</div>`;
  return html`<section class="card settings" id="settings" aria-labelledby="settings-heading" hidden>
<h2 id="settings-heading" tabindex="-1">${m.heading}</h2>
<form id="settings-form" novalidate>
<fieldset>
<legend>${m.branding}</legend>
${text('set-company-name', m.companyName, { required: true, maxLength: 100, hint: m.companyNameHint })}
${text('set-support-domain', m.supportDomain, { maxLength: 253, hint: m.supportDomainHint })}
<label for="set-validity">${m.defaultValidity}</label>
<select id="set-validity">${VALIDITY_HOURS.map(
    (hours) => html`<option value="${hours}">${messages.page.request.hours[hours]}</option>`,
  )}</select>
</fieldset>
<fieldset>
<legend>${m.media}</legend>
<div class="check"><input type="checkbox" id="set-receive"><label for="set-receive">${m.receiveEnabled}</label></div>
<label for="set-disabled-message">${m.disabledMessage}</label>
<textarea id="set-disabled-message" rows="2" maxlength="500"></textarea>
<table class="categories">
<caption>${m.categories}</caption>
<thead><tr><th scope="col">${m.categoryColumn}</th><th scope="col">${m.allowedColumn}</th><th scope="col">${m.maxColumn}</th></tr></thead>
<tbody>${MEDIA_CATEGORIES.map((category) => {
    const name = m.categoryNames[category];
    return html`<tr><th scope="row">${name}</th>
<td><input type="checkbox" id="set-${category}-allowed" aria-label="${m.allowedLabel.replace('{category}', name)}"></td>
<td><input type="number" id="set-${category}-max" min="1" max="${MAX_UPLOAD_BYTES / MB}" step="1" inputmode="numeric" aria-label="${m.maxLabel.replace('{category}', name)}"></td></tr>`;
  })}</tbody>
</table>
<label for="set-max-files">${m.maxFilesPerSubmission}</label>
<input type="number" id="set-max-files" min="1" max="${MAX_FILES_PER_SUBMISSION}" step="1" inputmode="numeric">
<label for="set-max-submission">${m.maxSubmissionMb}</label>
<input type="number" id="set-max-submission" min="1" max="${MAX_SUBMISSION_BYTES / MB}" step="1" inputmode="numeric" aria-describedby="set-max-submission-hint">
<p class="hint" id="set-max-submission-hint">${m.maxSubmissionHint}</p>
<label for="set-retention">${m.retentionDays}</label>
<input type="number" id="set-retention" min="1" max="365" step="1" inputmode="numeric">
<div class="check"><input type="checkbox" id="set-scan"><label for="set-scan">${m.scanFiles}</label></div>
<div class="check"><input type="checkbox" id="set-files-sign-in" aria-describedby="set-files-sign-in-hint"><label for="set-files-sign-in">${m.filesNeedSignIn}</label></div>
<p class="hint" id="set-files-sign-in-hint">${m.filesNeedSignInHint}</p>
</fieldset>
<fieldset>
<legend>${m.destinations}</legend>
<p class="hint">${m.destinationsHint}</p>
<h3>${m.freshdesk}</h3>
${text('set-fd-url', m.freshdeskUrl, { url: true })}
${secret('set-fd-key', m.freshdeskKey)}
${remove('set-fd-remove', m.freshdesk)}
<h3>${m.flex}</h3>
${text('set-flex-account', m.flexAccount)}
${text('set-flex-workspace', m.flexWorkspace)}
<label for="set-flex-entry">${m.flexMediaEntry}</label>
<select id="set-flex-entry">${FLEX_MEDIA_ENTRY_TYPES.map((entry) => html`<option value="${entry}">${entry}</option>`)}</select>
${secret('set-flex-token', m.flexToken)}
${remove('set-flex-remove', m.flex)}
<h3>${m.webhook}</h3>
${text('set-webhook-url', m.webhookUrl, { url: true })}
${secret('set-webhook-secret', m.webhookSecret)}
${remove('set-webhook-remove', m.webhook)}
</fieldset>
<p class="error" id="settings-error" role="alert"></p>
<button type="submit" class="button primary">${m.save}</button>
</form>
</section>`;
}

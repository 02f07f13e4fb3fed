import { CUSTOMER_MESSAGE_MAX, type MediaPolicy, submissionByteLimit } from '@uplink/contracts';
import {
  formatBytes,
  MEDIA_CATEGORIES,
  MEDIA_TYPES,
  type MediaCategory,
  type MediaType,
} from '@uplink/contracts/media-types';
import { fillHtml, html, htmlDocument, type SafeHtml } from '@uplink/web';
import { fill } from '@uplink/web/text';
import { pageAssets } from './assets.ts';
import { type ClientConfig, CONFIG_ELEMENT_ID, type PageLocale } from './client-config.ts';
import { messagesFor } from './locale.ts';
import type { Messages } from './messages/en.ts';

export type UploadPageView = {
  locale: PageLocale;
  companyName: string;
  supportDomain: string | null;
  contextMessage?: string;
  policy: MediaPolicy;
  linkExpiresAt: Date;
};

export type UnavailableReason = 'not_found' | 'expired' | 'used' | 'revoked';

export type FileViewerView = {
  locale: PageLocale;
  companyName: string;
  supportDomain: string | null;
  file: { fileName: string; contentType: string; category: MediaCategory; size: number };
  /** A short-lived read URL of the file on the storage origin, made for this view. */
  /** Shown inline (players, images). */
  fileUrl: string;
  /** The same file, saved under its name. */
  downloadUrl: string;
  /** When the viewer link stops working. */
  linkExpiresAt: Date;
};

export type FileUnavailableReason = 'not_found' | 'expired' | 'revoked';

/**
 * Why a viewer link of a tenant whose files need sign-in shows no file yet: the page is framed
 * (Flex's `Embedded` entry: the sign-in opens in a new tab), the one-time grant it came back
 * with was used or has expired, or this deployment has no sign-in to send the agent to.
 */
export type FileSignInReason = 'framed' | 'grant_used' | 'not_configured';

type Tab = 'audio' | 'video' | 'screen' | 'file';

function documentShell(
  locale: PageLocale,
  title: string,
  body: SafeHtml,
  script?: { src: string; config: ClientConfig },
): string {
  return htmlDocument({
    lang: locale,
    title,
    styleHref: pageAssets().style,
    ...(script && { scriptHref: script.src, config: { id: CONFIG_ELEMENT_ID, value: script.config } }),
    body: html`<main class="page">
${body}
</main>`,
  });
}

function allowedCategories(policy: MediaPolicy): MediaCategory[] {
  return MEDIA_CATEGORIES.filter((category) => policy.categories[category].allowed);
}

function acceptAttribute(categories: readonly MediaCategory[]): string {
  const entries = new Set<string>();
  for (const category of categories) {
    for (const type of MEDIA_TYPES[category]) {
      entries.add(type.mime);
      for (const ext of type.extensions) entries.add(`.${ext}`);
    }
  }
  return [...entries].join(',');
}

/** The type's name in the page's language: its own message where it has one, else the contracts'. */
function typeLabel(m: Messages, type: MediaType): string {
  const labels: Readonly<Record<string, string | undefined>> = m.file.typeLabels;
  return (Object.hasOwn(labels, type.mime) ? labels[type.mime] : undefined) ?? type.label;
}

function acceptedText(m: Messages, categories: readonly MediaCategory[]): string {
  const groups = categories.map((category) => {
    const labels = [...new Set(MEDIA_TYPES[category].map((type) => typeLabel(m, type)))];
    return `${m.file.categories[category]} (${labels.join(', ')})`;
  });
  return fill(m.file.accepted, { types: groups.join('; ') });
}

function largestText(
  m: Messages,
  locale: PageLocale,
  policy: MediaPolicy,
  categories: readonly MediaCategory[],
) {
  const limits = categories.map((category) => policy.categories[category].maxBytes);
  const size = limits.every((limit) => limit === limits[0])
    ? formatBytes(limits[0] ?? 0, locale)
    : categories
        .map(
          (category) =>
            `${m.file.categories[category]} ${formatBytes(policy.categories[category].maxBytes, locale)}`,
        )
        .join(', ');
  return fill(m.file.largest, { size });
}

function formatExpiry(date: Date, locale: PageLocale): string {
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
    timeZoneName: 'short',
  }).format(date);
}

function tabList(m: Messages, tabs: readonly Tab[]): SafeHtml {
  return html`<div class="tabs" role="tablist" aria-label="${m.page.tablistLabel}">${tabs.map(
    (tab, i) =>
      // The Screen tab stays hidden until the script finds the browser can share a screen.
      html`<button type="button" role="tab" id="tab-${tab}" aria-controls="panel-${tab}" aria-selected="${i === 0 ? 'true' : 'false'}" tabindex="${i === 0 ? '0' : '-1'}"${tab === 'screen' ? html` hidden` : ''}>${m.page.tabs[tab]}</button>`,
  )}</div>`;
}

function panel(tab: Tab, first: boolean, content: SafeHtml): SafeHtml {
  return html`<section class="panel" role="tabpanel" id="panel-${tab}" aria-labelledby="tab-${tab}" tabindex="0" data-kind="${tab}"${first ? '' : html` hidden`}>
${content}
</section>`;
}

/**
 * The buttons of a take (client/src/take.ts finds them by `data-action`): record, stop, record
 * again (in place of the last take), record another (keeping it). A finished take joins the
 * files to send; the Send button is the outbox's. Recording can start at once only where no
 * device needs turning on first (audio).
 */
function takeButtons(
  t: { record: string; stop: string; rerecord: string; another: string },
  recordShown: boolean,
): SafeHtml {
  return html`<button type="button" class="button primary" data-action="record"${recordShown ? '' : html` hidden`}>${t.record}</button>
<button type="button" class="button danger" data-action="stop" hidden>${t.stop}</button>
<button type="button" class="button" data-action="rerecord" hidden>${t.rerecord}</button>
<button type="button" class="button" data-action="another" hidden>${t.another}</button>`;
}

function audioPanel(m: Messages): SafeHtml {
  const t = m.audio;
  return html`<p class="intro">${t.intro}</p>
<div class="stage audio-stage">
<canvas class="meter" width="640" height="120" role="img" aria-label="${t.levelLabel}"></canvas>
<p class="timer" aria-hidden="true"><span class="rec-dot"></span><span class="time">0:00</span></p>
</div>
<audio class="playback" controls preload="metadata" aria-label="${t.playbackLabel}" hidden></audio>
<div class="actions">
${takeButtons(t, true)}
</div>`;
}

function videoPanel(m: Messages): SafeHtml {
  const t = m.video;
  return html`<p class="intro">${t.intro}</p>
<div class="stage video-stage">
<video class="preview" muted playsinline aria-label="${t.previewLabel}"></video>
<canvas class="blurred" role="img" aria-label="${t.previewLabel}" hidden></canvas>
<video class="playback" controls playsinline preload="metadata" aria-label="${t.playbackLabel}" hidden></video>
<p class="timer" aria-hidden="true"><span class="rec-dot"></span><span class="time">0:00</span></p>
</div>
<div class="options">
<label class="toggle" data-option="blur" hidden><input type="checkbox" data-action="blur"> ${t.blur}</label>
<button type="button" class="button" data-action="switch" hidden>${t.switchCamera}</button>
</div>
<div class="actions">
<button type="button" class="button primary" data-action="camera">${t.camera}</button>
${takeButtons(t, false)}
</div>`;
}

function screenPanel(m: Messages): SafeHtml {
  const t = m.screen;
  return html`<p class="intro">${t.intro}</p>
<div class="stage video-stage">
<video class="preview" muted playsinline aria-label="${t.previewLabel}"></video>
<video class="playback" controls playsinline preload="metadata" aria-label="${t.playbackLabel}" hidden></video>
<p class="timer" aria-hidden="true"><span class="rec-dot"></span><span class="time">0:00</span></p>
</div>
<div class="options">
<label class="toggle" data-option="microphone"><input type="checkbox" data-action="microphone"> ${t.microphone}</label>
</div>
<div class="actions">
<button type="button" class="button primary" data-action="share">${t.share}</button>
${takeButtons(t, false)}
</div>`;
}

function filePanel(
  m: Messages,
  locale: PageLocale,
  policy: MediaPolicy,
  categories: readonly MediaCategory[],
) {
  const t = m.file;
  return html`<p class="intro">${t.intro}</p>
<div class="dropzone">
<input type="file" id="file-input" class="file-input visually-hidden" accept="${acceptAttribute(categories)}"${policy.maxFilesPerSubmission > 1 ? html` multiple` : ''} aria-describedby="file-hint">
<label for="file-input" class="button primary">${t.choose}</label>
<span class="drop-hint">${t.drop}</span>
<p class="hint" id="file-hint">${acceptedText(m, categories)} ${largestText(m, locale, policy, categories)}</p>
</div>`;
}

/**
 * What the customer is about to send, shared by every tab (client/src/outbox.ts fills it): the
 * files and recordings added so far, each removable, a message for the agent, and the one Send
 * button. The list and the button show once something was added.
 */
function outbox(m: Messages, locale: PageLocale, policy: MediaPolicy, company: string): SafeHtml {
  const t = m.outbox;
  const several = policy.maxFilesPerSubmission > 1;
  const limits = fill(t.limits, {
    count: policy.maxFilesPerSubmission,
    size: formatBytes(submissionByteLimit(policy), locale),
  });
  return html`<section class="outbox" id="outbox" aria-labelledby="outbox-heading">
<h2 class="outbox-heading" id="outbox-heading" hidden>${t.heading}</h2>
${several ? html`<p class="hint" id="outbox-limits">${limits}</p>` : ''}
<ul class="items" id="items" aria-labelledby="outbox-heading" hidden></ul>
<label class="message-label" for="message">${fill(t.messageLabel, { company })}</label>
<textarea class="message" id="message" rows="3" maxlength="${String(CUSTOMER_MESSAGE_MAX)}" aria-describedby="message-count"></textarea>
<p class="hint message-count" id="message-count">${fill(m.client.messageCount, { count: 0, max: CUSTOMER_MESSAGE_MAX })}</p>
<div class="actions">
<button type="button" class="button primary" id="send" data-action="send" hidden>${t.send}</button>
</div>
</section>`;
}

/** The company's branding: a heading naming it (`{company}` in `heading`) and its support domain. */
function header(heading: string, brand: { companyName: string; supportDomain: string | null }): SafeHtml {
  return html`<header class="brand">
<p class="lock" aria-hidden="true"></p>
<h1>${fillHtml(heading, { company: html`<span class="company">${brand.companyName}</span>` })}${
    brand.supportDomain ? html` <span class="domain">· ${brand.supportDomain}</span>` : ''
  }</h1>
</header>`;
}

/** The customer's upload page: branding, the agent's message, and the tabs the policy allows. */
export function renderUploadPage(view: UploadPageView): string {
  const { locale, policy } = view;
  const m = messagesFor(locale);
  const company = view.companyName;
  const categories = allowedCategories(policy);
  const title = fill(m.page.title, { company });

  const callout =
    view.contextMessage && view.contextMessage.trim() !== ''
      ? html`<aside class="callout" aria-label="${fill(m.page.contextLabel, { company })}"><p>${view.contextMessage}</p></aside>`
      : '';

  if (!policy.receiveEnabled || categories.length === 0) {
    const message = !policy.receiveEnabled
      ? (policy.disabledMessage ?? fill(m.disabled.defaultMessage, { company }))
      : fill(m.disabled.nothingAllowed, { company });
    return documentShell(
      locale,
      title,
      html`${header(m.page.heading, view)}
${callout}
<section class="notice" aria-labelledby="disabled-heading">
<h2 id="disabled-heading">${m.disabled.heading}</h2>
<p>${message}</p>
</section>`,
    );
  }

  const tabs: Tab[] = [];
  if (policy.categories.audio.allowed) tabs.push('audio');
  // A screen recording is a video: the same category, limit and verification.
  if (policy.categories.video.allowed) tabs.push('video', 'screen');
  tabs.push('file');

  const panels = tabs.map((tab, i) => {
    const content =
      tab === 'audio'
        ? audioPanel(m)
        : tab === 'video'
          ? videoPanel(m)
          : tab === 'screen'
            ? screenPanel(m)
            : filePanel(m, locale, policy, categories);
    return panel(tab, i === 0, content);
  });

  const assets = pageAssets();
  const config: ClientConfig = {
    locale,
    limits: Object.fromEntries(
      categories.map((category) => [category, policy.categories[category].maxBytes]),
    ),
    maxFiles: policy.maxFilesPerSubmission,
    maxTotalBytes: submissionByteLimit(policy),
    segmentationBase: assets.segmentationBase,
    messages: m.client,
  };

  const body = html`${header(m.page.heading, view)}
${callout}
<p class="validity">${fillHtml(m.page.validUntil, {
    date: html`<time datetime="${view.linkExpiresAt.toISOString()}">${formatExpiry(view.linkExpiresAt, locale)}</time>`,
  })}</p>
<noscript><p class="notice">${m.page.noscript}</p></noscript>
<div class="uploader" id="uploader">
${tabList(m, tabs)}
${panels}
${outbox(m, locale, policy, company)}
<div class="transfer" id="transfer" hidden>
<progress id="progress" max="1" value="0" tabindex="-1" aria-label="${m.page.progressLabel}" aria-describedby="progress-text"></progress>
<p class="progress-text" id="progress-text"></p>
</div>
<div class="error" id="error" role="alert" tabindex="-1"></div>
</div>
<section class="sent" id="sent" tabindex="-1" aria-labelledby="sent-heading" hidden>
<h2 id="sent-heading">${m.sent.heading}</h2>
<p>${fill(m.sent.body, { company })}</p>
</section>
<p class="visually-hidden" id="status" role="status"></p>`;

  return documentShell(locale, title, body, { src: assets.script, config });
}

/** A page that only tells the customer something: a heading and its paragraphs, no script. */
function noticePage(locale: PageLocale, id: string, title: string, paragraphs: readonly string[]): string {
  return documentShell(
    locale,
    title,
    html`<section class="notice unavailable" aria-labelledby="${id}">
<h1 id="${id}">${title}</h1>
${paragraphs.map((paragraph) => html`<p>${paragraph}</p>\n`)}</section>`,
  );
}

/**
 * The page for a link that cannot be used: unknown (404) or expired, used or revoked (410). It
 * says which and what to do, and nothing else (no company, no ticket).
 */
export function renderUnavailablePage(locale: PageLocale, reason: UnavailableReason): string {
  const m = messagesFor(locale);
  const text = m.unavailable[reason];
  return noticePage(locale, 'unavailable-heading', text.title, [text.body, m.unavailable.askAgent]);
}

/** The page for a client that opened pages too often (429): wait a minute, then reload. */
export function renderRateLimitedPage(locale: PageLocale): string {
  const text = messagesFor(locale).rateLimited;
  return noticePage(locale, 'rate-limited-heading', text.title, [text.body]);
}

/** The file's type in the page's language (`PDF`, `OpenDocument-Text`), else its MIME type. */
function fileTypeText(m: Messages, file: FileViewerView['file']): string {
  const type = MEDIA_TYPES[file.category].find((candidate) => candidate.mime === file.contentType);
  return type ? typeLabel(m, type) : file.contentType;
}

/**
 * Photo types most browsers cannot show (HEIC: only Safari decodes it). The viewer has no script
 * to fall back with, so they are offered for download; the console previews them as JPEG.
 */
const UNSHOWN_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/heic', 'image/heif']);

/** Audio and video get the browser's player, images are shown; other files only download. */
function filePreview(m: Messages, view: FileViewerView): SafeHtml {
  const { file, fileUrl } = view;
  if (UNSHOWN_IMAGE_TYPES.has(file.contentType)) return html`<p class="hint">${m.viewer.noPreview}</p>`;
  switch (file.category) {
    case 'audio':
      return html`<audio class="player" controls preload="metadata" src="${fileUrl}" aria-label="${file.fileName}"><p>${m.viewer.cannotPlay}</p></audio>`;
    case 'video':
      return html`<video class="player" controls playsinline preload="metadata" src="${fileUrl}" aria-label="${file.fileName}"><p>${m.viewer.cannotPlay}</p></video>`;
    case 'image':
      return html`<img class="player" src="${fileUrl}" alt="${file.fileName}">`;
    default:
      return html`<p class="hint">${m.viewer.noPreview}</p>`;
  }
}

/**
 * The file viewer an agent opens from a note or a Flex entry: the company's branding, the file's
 * name, type and size, a preview by category, and a download button. No script.
 */
export function renderFileViewerPage(view: FileViewerView): string {
  const { locale, file } = view;
  const m = messagesFor(locale);
  const title = fill(m.viewer.title, { file: file.fileName, company: view.companyName });
  const body = html`${header(m.viewer.heading, view)}
<section class="viewer" aria-labelledby="file-name">
<h2 id="file-name" class="file-name">${file.fileName}</h2>
<p class="file-facts">${fileTypeText(m, file)} · ${formatBytes(file.size, locale)}</p>
${filePreview(m, view)}
<div class="actions">
<a class="button primary" href="${view.downloadUrl}" rel="noopener noreferrer">${m.viewer.download}</a>
</div>
</section>
<p class="validity">${fillHtml(m.viewer.validUntil, {
    date: html`<time datetime="${view.linkExpiresAt.toISOString()}">${formatExpiry(view.linkExpiresAt, locale)}</time>`,
  })}</p>`;
  return documentShell(locale, title, body);
}

/** The page for a viewer link that opens nothing: unknown (404), expired or revoked (410). */
export function renderFileUnavailablePage(locale: PageLocale, reason: FileUnavailableReason): string {
  const m = messagesFor(locale);
  const text = m.fileUnavailable[reason];
  return noticePage(locale, 'unavailable-heading', text.title, [text.body, m.fileUnavailable.askCustomer]);
}

/**
 * The page of a viewer link that needs sign-in and cannot send the agent there now (see
 * FileSignInReason): what happened and, where it can help, a link that starts the sign-in again
 * (`signInHref`, the viewer link itself), in a new tab when the page is framed.
 */
export function renderFileSignInPage(
  locale: PageLocale,
  reason: FileSignInReason,
  signInHref: string,
): string {
  const m = messagesFor(locale).fileSignIn;
  const text = m[reason];
  const link =
    reason === 'not_configured'
      ? ''
      : html`<p><a class="button primary" href="${signInHref}"${
          reason === 'framed' ? html` target="_blank" rel="noopener noreferrer"` : ''
        }>${m.open}</a></p>`;
  return documentShell(
    locale,
    text.title,
    html`<section class="notice unavailable" aria-labelledby="sign-in-heading">
<h1 id="sign-in-heading">${text.title}</h1>
<p>${text.body}</p>
${link}</section>`,
  );
}

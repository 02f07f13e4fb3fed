import { fillHtml, html, htmlDocument, type SafeHtml } from '@uplink/web';
import { consoleAssets } from '../console/assets.ts';
import { messages } from '../console/messages.ts';

/** Why a sign-in with the identity provider ended without a session, with the page's status. */
export const SIGN_IN_REFUSALS = {
  expired: 400,
  notVerified: 400,
  providerRefused: 403,
  unreachable: 503,
  noTenant: 403,
  unknownTenant: 403,
} as const;
export type SignInRefusal = keyof typeof SIGN_IN_REFUSALS;

/** A page a person reads (not JSON): what happened and the way back to the sign-in. */
export function renderSignInRefusal(refusal: SignInRefusal, values: Record<string, string> = {}): string {
  const m = messages.page.signInRefused;
  const { heading, text } = m[refusal];
  return renderNotice({
    title: m.title,
    heading,
    text: fillHtml(text, values),
    action: { href: '/console', label: m.again },
  });
}

/** One of the console's server-rendered notices: a heading, a paragraph, and what to do next. */
export function renderNotice(notice: {
  title: string;
  heading: string;
  text: SafeHtml | string;
  action?: { href: string; label: string };
}): string {
  const { action } = notice;
  return htmlDocument({
    lang: 'en',
    title: notice.title,
    styleHref: consoleAssets().style,
    body: html`<header class="bar">
<p class="brand">${messages.page.heading}</p>
</header>
<main class="console">
<section class="card" aria-labelledby="refusal-heading">
<h1 id="refusal-heading">${notice.heading}</h1>
<p>${notice.text}</p>
${action ? html`<p><a class="button primary" href="${action.href}">${action.label}</a></p>` : ''}
</section>
</main>`,
  });
}

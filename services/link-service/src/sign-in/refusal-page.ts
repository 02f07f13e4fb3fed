import { fillHtml, html, htmlDocument } from '@uplink/web';
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
  return htmlDocument({
    lang: 'en',
    title: m.title,
    styleHref: consoleAssets().style,
    body: html`<header class="bar">
<p class="brand">${messages.page.heading}</p>
</header>
<main class="console">
<section class="card" aria-labelledby="refusal-heading">
<h1 id="refusal-heading">${heading}</h1>
<p>${fillHtml(text, values)}</p>
<p><a class="button primary" href="/console">${m.again}</a></p>
</section>
</main>`,
  });
}

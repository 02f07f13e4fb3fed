import { html, jsonForScript, type SafeHtml } from './html.ts';

export type HtmlDocumentOptions = {
  lang: string;
  title: string;
  /** URL path of the page's stylesheet. */
  styleHref: string;
  /** URL path of the page's module script, if it has one. */
  scriptHref?: string;
  /** What goes inside `<body>`. */
  body: SafeHtml;
  /** Data for the script, as `<script type="application/json" id="…">` at the end of the body. */
  config?: { id: string; value: unknown };
};

/**
 * A server-rendered page: the head every page has (no referrer, not indexed, light and dark), its
 * stylesheet and script, and the body. Inline scripts never appear, so a strict CSP holds.
 */
export function htmlDocument(options: HtmlDocumentOptions): string {
  const { config } = options;
  return html`<!doctype html>
<html lang="${options.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<meta name="color-scheme" content="light dark">
<title>${options.title}</title>
<link rel="stylesheet" href="${options.styleHref}">
${options.scriptHref ? html`<script type="module" src="${options.scriptHref}"></script>` : ''}
</head>
<body>
${options.body}
${config ? html`<script type="application/json" id="${config.id}">${jsonForScript(config.value)}</script>` : ''}
</body>
</html>
`.value;
}

/**
 * Helpdesks whose agent sidebars may frame the console: Freshdesk's apps and Twilio Flex.
 */
export const DEFAULT_FRAME_ANCESTORS: readonly string[] = [
  'https://*.freshdesk.com',
  'https://*.freshworks.com',
  'https://flex.twilio.com',
];

/**
 * The console's Content-Security-Policy: script and styles from our own origin only (no inline
 * script; page data travels in a JSON element that never executes), and connections (fetch,
 * EventSource) to our own API only. Framing is allowed for ourselves and the helpdesks listed.
 * Previews of received files (audio, video, images) load from the blob storage origin only,
 * through short-lived read URLs, and HEIC photos as JPEG renderings made into blob: URLs.
 */
export function consoleContentSecurityPolicy(
  frameAncestors: readonly string[],
  mediaOrigin?: string,
): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    // blob: for the JPEG renderings of HEIC photos, fetched with the API key.
    mediaOrigin ? `img-src 'self' ${mediaOrigin} blob:` : "img-src 'self'",
    ...(mediaOrigin ? [`media-src ${mediaOrigin}`] : []),
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${["'self'", ...frameAncestors].join(' ')}`,
  ].join('; ');
}

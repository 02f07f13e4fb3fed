/**
 * The Content-Security-Policy of the customer's pages. Scripts and styles come only from our own
 * origin (no inline script: page data travels in a JSON element that never executes);
 * 'wasm-unsafe-eval' lets the background-blur model compile its WebAssembly and allows no
 * eval() or new Function(). The browser talks to our API and to the storage account, plays back
 * its own recordings from blob: URLs, and can be framed by nobody.
 */
export function contentSecurityPolicy(storageOrigin: string): string {
  const storage = new URL(storageOrigin).origin;
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self'",
    'media-src blob:',
    `connect-src 'self' ${storage}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

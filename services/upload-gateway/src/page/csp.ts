export type ContentSecurityOptions = {
  /**
   * The file viewer (`/f/<token>`): it shows images and plays audio and video from the storage
   * origin (a short-lived read SAS made for each view), and runs no script. The upload page
   * never loads anything from storage, so it keeps the stricter policy.
   */
  fileViewer?: boolean;
  /**
   * Origins that may frame the file viewer: a helpdesk that shows it inline (Twilio Flex's
   * `Embedded` media entries). The upload page is framed by nobody, whatever this says.
   */
  viewerFrameAncestors?: readonly string[];
};

/**
 * The Content-Security-Policy of the customer's pages. Scripts and styles come only from our own
 * origin (no inline script: page data travels in a JSON element that never executes);
 * 'wasm-unsafe-eval' lets the background-blur model compile its WebAssembly and allows no
 * eval() or new Function(). The browser talks to our API and to the storage account, plays back
 * its own recordings from blob: URLs, and can be framed by nobody (a customer tricked into
 * recording inside someone else's page is what that prevents).
 *
 * The file viewer's policy differs only where it must: images and media from the storage origin,
 * no script and no connections at all, and framing by the helpdesks configured for it.
 */
export function contentSecurityPolicy(storageOrigin: string, options: ContentSecurityOptions = {}): string {
  const storage = new URL(storageOrigin).origin;
  const viewer = options.fileViewer === true;
  return [
    "default-src 'none'",
    viewer ? "script-src 'none'" : "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    viewer ? `img-src 'self' ${storage}` : "img-src 'self'",
    viewer ? `media-src ${storage}` : 'media-src blob:',
    viewer ? "connect-src 'none'" : `connect-src 'self' ${storage}`,
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${viewer && options.viewerFrameAncestors?.length ? options.viewerFrameAncestors.join(' ') : "'none'"}`,
  ].join('; ');
}

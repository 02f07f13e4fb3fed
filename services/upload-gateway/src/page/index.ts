// The customer's pages: HTML, texts, Content-Security-Policy and the assets they load.
export { type PageAssets, pageAssets, registerPageAssets } from './assets.ts';
export type { ClientConfig, PageLocale } from './client-config.ts';
export { type ContentSecurityOptions, contentSecurityPolicy } from './csp.ts';
export { messagesFor, negotiateLocale } from './locale.ts';
export {
  type FileSignInReason,
  type FileUnavailableReason,
  type FileViewerView,
  renderFileSignInPage,
  renderFileUnavailablePage,
  renderFileViewerPage,
  renderRateLimitedPage,
  renderUnavailablePage,
  renderUploadPage,
  type UnavailableReason,
  type UploadPageView,
} from './render.ts';

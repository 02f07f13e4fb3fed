// What logs and traces may show of a request and a record: credentials by name at any depth, API
// keys anywhere, link and viewer tokens by their route's parameter names. Used by the logger
// (logger.ts) and the request spans (instrumentation.ts).
import { parseQuery } from './query.ts';

/**
 * Whether a name (a logged field, a query parameter, a route parameter, a header) says its value
 * is a credential. Compared without case and punctuation, so `access_token`, `ACCESS-TOKEN` and
 * `accessToken` are one name.
 */
export function isCredentialName(name: string): boolean {
  const bare = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return (
    /token|secret|passw|apikey|accesskey|privatekey|authorization|credential|signature|cookie|connectionstring/.test(
      bare,
    ) || ['key', 'sig', 'code', 'jwt', 'auth', 'session', 'sessionid', 'streamticket'].includes(bare)
  );
}

const REDACTED = '[redacted]';
const REDACT_DEPTH = 6;

/** Uplink's API keys, wherever they appear in a logged string. */
const API_KEYS = /upk_[A-Za-z0-9_-]+/gi;

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * A copy of a log record's fields with every credential-named field's value replaced, at any
 * depth (a headers object, a parsed query, a destination's settings), and API keys cut out of
 * any string. Only plain objects and arrays are looked into (requests, replies and errors have
 * serializers); the caller's objects are never changed.
 */
export function redactFields(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(API_KEYS, REDACTED);
  if (depth > REDACT_DEPTH) return value;
  if (Array.isArray(value)) {
    const items = value.map((item) => redactFields(item, depth + 1));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, field] of Object.entries(value)) {
    const redacted = isCredentialName(key) && field !== undefined ? REDACTED : redactFields(field, depth + 1);
    if (redacted === field) continue;
    copy ??= { ...value };
    copy[key] = redacted;
  }
  return copy ?? value;
}

/** An API key, whatever name it was sent under. */
const looksLikeApiKey = (value: string) => /^upk_/i.test(value.trim());

/** A long random-looking path segment: a link or viewer token on a path no route matched. */
const looksLikeToken = (segment: string) => segment.length >= 20 && /^[A-Za-z0-9_~.-]+$/.test(segment);

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Link and viewer tokens keep their first characters in logs, to tell requests apart. */
const shortened = (secret: string) => (secret.length >= 20 ? `${encodeText(secret.slice(0, 6))}…` : REDACTED);

/** Percent-encodes what a URL would (never throws: a lone surrogate shows as U+FFFD). */
const encodeText = (text: string) => encodeURI(text.toWellFormed());

/**
 * The URL's path as logs may show it. Every segment is decoded first, so an encoding does not
 * hide a token. On a route, a segment whose route parameter is a credential by name
 * (`/u/:token`, `/f/:token`) is cut short; on no route (a 404), every segment that looks like a
 * token is.
 */
export function redactPath(path: string, route?: string): string {
  const segments = path.split('/').map(decodeSegment);
  const pattern = route?.split('?')[0]?.split('/');
  const onRoute = pattern !== undefined && pattern.length === segments.length && !route?.includes('*');
  return segments
    .map((segment, i) => {
      const secret = onRoute
        ? (pattern[i] ?? '').startsWith(':') && isCredentialName((pattern[i] ?? '').slice(1))
        : looksLikeToken(segment) || looksLikeApiKey(segment);
      return secret ? shortened(segment) : encodeText(segment);
    })
    .join('/');
}

/**
 * The query string as logs may show it: parsed with the parser the HTTP apps use (`;` taken as
 * a separator too), so a key is recognised however it is encoded, in any case, however often
 * it is repeated; credentials by name, and API keys under any name, are redacted.
 */
export function redactQuery(query: string): string {
  const parsed = parseQuery(query.replaceAll(';', '&'));
  const parts: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    for (const one of Array.isArray(value) ? value : [value ?? '']) {
      const secret = isCredentialName(key) || looksLikeApiKey(one) || looksLikeApiKey(key);
      const shownKey = looksLikeApiKey(key) ? REDACTED : encodeURIComponent(key);
      parts.push(`${shownKey}=${secret ? REDACTED : encodeURIComponent(one)}`);
    }
  }
  return parts.join('&');
}

/**
 * A request URL as logs and traces show it (see redactPath and redactQuery). `route` is the
 * matched route's pattern, e.g. `/u/:token/uploads`.
 */
export function redactUrl(url: string, route?: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return redactPath(url, route);
  const query = url.slice(mark + 1);
  return `${redactPath(url.slice(0, mark), route)}${query ? `?${redactQuery(query)}` : ''}`;
}

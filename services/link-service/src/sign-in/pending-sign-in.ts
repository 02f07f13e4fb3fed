// A sign-in in progress: what the callback must check the provider's answer against. It travels
// in a cookie sealed with the deployment's key (AES-256-GCM: encrypted and authenticated), so the
// browser carries it to whichever replica gets the callback but can neither read nor forge it.
import type { SecretBox } from '@uplink/kit';
import { type Static, Type } from 'typebox';
import Value from 'typebox/value';

export const PendingSignIn = Type.Object({
  /** The `state` sent to the provider: the callback's must be the same. */
  state: Type.String({ minLength: 1 }),
  /** The `nonce` sent to the provider: the ID token's must be the same. */
  nonce: Type.String({ minLength: 1 }),
  /** PKCE: the provider was sent its S256 challenge; the token request proves we hold it. */
  codeVerifier: Type.String({ minLength: 43 }),
  /** Where the console was when sign-in started (`/console?provider=…&ticket=…`). */
  returnTo: Type.String(),
  /** Epoch ms after which the callback refuses it, whatever the browser kept. */
  expiresAt: Type.Integer(),
});
export type PendingSignIn = Static<typeof PendingSignIn>;

/** Its cookie: `__Host-` (Secure, Path=/, no Domain), so no other host or path can set it. */
export const PENDING_SIGN_IN_COOKIE = '__Host-uplink-sign-in';

/** How long a user may take at the provider's login page. */
export const PENDING_SIGN_IN_TTL_MS = 10 * 60 * 1000;

/** The associated data: a ciphertext sealed for anything else (a tenant's secret) never opens here. */
const SEALED_FOR = 'uplink console sign-in';

const Sealed = Type.Object({
  kid: Type.String(),
  iv: Type.String(),
  data: Type.String(),
  tag: Type.String(),
});

export function sealPendingSignIn(box: SecretBox, pending: PendingSignIn): string {
  return Buffer.from(JSON.stringify(box.seal(JSON.stringify(pending), SEALED_FOR))).toString('base64url');
}

/** The sign-in the cookie holds; undefined when it is missing, forged, altered or expired. */
export function openPendingSignIn(
  box: SecretBox,
  cookie: string | undefined,
  nowMs: number,
): PendingSignIn | undefined {
  if (!cookie) return undefined;
  try {
    const sealed: unknown = JSON.parse(Buffer.from(cookie, 'base64url').toString('utf8'));
    if (!Value.Check(Sealed, sealed)) return undefined;
    const pending: unknown = JSON.parse(box.open(sealed, SEALED_FOR));
    if (!Value.Check(PendingSignIn, pending) || pending.expiresAt <= nowMs) return undefined;
    return pending;
  } catch {
    // Not base64url JSON, a key we do not hold, or an authentication tag that does not match.
    return undefined;
  }
}

/**
 * The console path to come back to: only `/console` or the sign-in step of a file
 * (FILE_SIGN_IN_PATH), with a query, so a crafted link cannot send a signed-in user elsewhere.
 */
export function consoleReturnPath(requested: string | undefined): string {
  return requested && /^\/console(\/files\/open)?(\?[^#\\]*)?$/.test(requested) ? requested : '/console';
}

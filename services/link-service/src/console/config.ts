// What the server hands the console's script, as JSON in <script type="application/json">.
// Types only: the browser bundle imports this file for type-checking and nothing else.
import type { MediaCategory } from '@uplink/contracts';
import type { ConsoleMessages } from './messages.ts';

export const CONFIG_ELEMENT_ID = 'uplink-console-config';

/** sessionStorage key of the tenant API key. */
export const API_KEY_STORAGE = 'uplink.apiKey';

/**
 * The sign-in with the identity provider (src/sign-in/): where it starts (`?return=` the console
 * path to come back to), where the provider sends the browser back, and signing out. Who the
 * session cookie signs in, the console asks GET /v1/whoami, as it does for a pasted key.
 */
export const SIGN_IN_PATH = '/console/sign-in';
export const SIGN_IN_CALLBACK_PATH = '/console/sign-in/callback';
export const SIGN_OUT_PATH = '/console/sign-out';

export type ConsoleConfig = {
  providers: readonly string[];
  validityHours: readonly number[];
  defaultValidityHours: number;
  mediaCategories: readonly MediaCategory[];
  /** The deployment has an identity provider: a session cookie may already sign the agent in. */
  providerSignIn: boolean;
  messages: ConsoleMessages['client'];
};

// What the server hands the console's script, as JSON in <script type="application/json">.
// Types only: the browser bundle imports this file for type-checking and nothing else.
import type { MediaCategory } from '@uplink/contracts';
import type { ConsoleMessages } from './messages.ts';

export const CONFIG_ELEMENT_ID = 'uplink-console-config';

/** sessionStorage key of the tenant API key. */
export const API_KEY_STORAGE = 'uplink.apiKey';

export type ConsoleConfig = {
  providers: readonly string[];
  validityHours: readonly number[];
  defaultValidityHours: number;
  mediaCategories: readonly MediaCategory[];
  messages: ConsoleMessages['client'];
};

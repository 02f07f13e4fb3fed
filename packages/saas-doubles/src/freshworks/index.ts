// The Freshworks host double. Names carry "Freshworks" so that `export *` next to the other
// doubles cannot clash.
export {
  FRESHWORKS_TICKET_PLACEMENTS,
  type FreshworksApp,
  type FreshworksTicketPlacement,
  readFreshworksApp,
} from './app-folder.ts';
export {
  FRESHWORKS_REQUEST_TIMEOUT_MS,
  FRESHWORKS_REQUESTS_PER_MINUTE,
  type FreshworksAgent,
  type FreshworksDouble,
  type FreshworksDoubleOptions,
  type FreshworksInvocation,
  type FreshworksInvokeOutcome,
  type FreshworksInvokeResult,
  type FreshworksTicketSeed,
  startFreshworksDouble,
} from './freshworks-double.ts';
export type { FreshworksInvokeError } from './request-templates.ts';

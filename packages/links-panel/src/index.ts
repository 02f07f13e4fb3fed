// The ticket's links panel as every agent-facing page shows it (the console, the helpdesk apps):
// the API calls an agent session may make, the live feed, the panel itself and its texts.

export { AgentApi, ApiError, NetworkError, type Ticket, ticketPath } from './agent-api.ts';
export { byId } from './dom.ts';
export { formatRemaining, formatTime } from './format.ts';
export {
  auditActorText,
  filesOf,
  LinksPanel,
  type PanelFile,
  type PanelHooks,
  type PanelLink,
} from './links-panel.ts';
export { type FeedHooks, type FeedState, LiveFeed } from './live.ts';
export { type PanelMessages, panelMessages } from './messages.ts';

// The Freshdesk app's own texts (English only for now); the links panel brings its own.
export const appMessages = {
  dialogTitle: 'Request a file with Uplink',
  linkAdded: 'Link #{shortId} is in your reply. Send the reply to share it with the customer.',
  noTicket: 'Open a ticket to request a file.',
  sessionFailed: 'The links of this ticket cannot be shown: {message}',
  sessionRefused: 'Uplink refused a new session for you too. Reload the ticket to try again.',
  errors: {
    /** The template's status is in every message: it tells an admin where to look. */
    unreachable:
      'Uplink could not be reached ({status}). Check the Uplink API host in the app settings, or try again in a moment.',
    wrongKey:
      "Uplink refused the app's integration key ({status}). Ask a Freshdesk admin to enter a valid Uplink integration key in the app settings.",
    forbidden:
      'The integration key may not do this ({status}): it needs the integration role. Ask a Freshdesk admin to check the key in the app settings.',
    refused: 'Uplink refused the request ({status}): {message}',
    network: 'Uplink could not be reached. Check your connection and try again.',
    generic: 'Something went wrong: {message}',
  },
} as const;

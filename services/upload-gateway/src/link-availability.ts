import type { LinkStatus } from '@uplink/contracts';

/** Why a customer can no longer send through a link, in the words pages and errors use. */
export type GoneReason = 'expired' | 'used' | 'revoked';

export function goneReason(status: Exclude<LinkStatus, 'pending'>): GoneReason {
  if (status === 'expired' || status === 'revoked') return status;
  return 'used';
}

export const GONE_MESSAGES: Record<GoneReason, string> = {
  expired: 'This link has expired. Please ask your support agent for a new link.',
  used: 'This link has already been used to send a file. Please ask your support agent for a new link.',
  revoked: 'This link was withdrawn by the support team. Please ask your support agent for a new link.',
};

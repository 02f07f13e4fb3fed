import { CommonEnv, port } from '@uplink/kit';
import { type Static, Type } from 'typebox';

export const ExpirySchedulerEnv = Type.Object({
  ...CommonEnv,
  PORT: port(8083),
  EXPIRY_LOOKAHEAD_MS: Type.Integer({
    minimum: 1_000,
    default: 120_000,
    description: 'Links expiring within this window get a precise timer.',
  }),
  EXPIRY_SWEEP_INTERVAL_MS: Type.Integer({
    minimum: 500,
    default: 30_000,
    description: 'How often the indexed sweep looks for due and soon-due links (the safety net).',
  }),
});
export type ExpirySchedulerConfig = Static<typeof ExpirySchedulerEnv>;

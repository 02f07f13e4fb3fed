import { Type } from 'typebox';

/** For services that call hosts their tenants chose (see EgressClient). */
export const EgressEnv = {
  EGRESS_ALLOW_LOOPBACK: Type.Boolean({
    default: false,
    description:
      'Let tenant-chosen URLs (webhooks, helpdesk APIs) reach loopback addresses and localhost: for local development and tests only. Other internal addresses are never called.',
  }),
} as const;

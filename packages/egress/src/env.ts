import { Type } from 'typebox';

/** For services that call hosts their tenants chose (see EgressClient). */
export const EgressEnv = {
  EGRESS_ALLOW_LOOPBACK: Type.Boolean({
    default: false,
    description:
      "Let tenants' destinations (webhooks, helpdesk APIs) be on loopback (`127.0.0.1`, `[::1]`, `localhost`), plain http included: for development and tests only. Other internal addresses are never called.",
  }),
} as const;

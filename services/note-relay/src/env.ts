import { EgressEnv } from '@uplink/egress';
import {
  CommonEnv,
  type ConfigCheck,
  checkSecretKeys,
  PublicFileUrlEnv,
  port,
  RequiredSecretKeysEnv,
} from '@uplink/kit';
import { AzureStorageEnv, checkAzureStorage } from '@uplink/storage';
import { DestinationHostsEnv } from '@uplink/tenants';
import { type Static, Type } from 'typebox';

export const NoteRelayEnv = Type.Object({
  ...CommonEnv,
  // Without them it could open no destination's credentials.
  ...RequiredSecretKeysEnv,
  ...AzureStorageEnv,
  ...EgressEnv,
  ...DestinationHostsEnv,
  PORT: port(8082),
  DELIVERY_ATTEMPT_MS: Type.Integer({
    minimum: 5_000,
    default: 120_000,
    description:
      "How long one delivery attempt may take, a 20 MB upload to a slow helpdesk included (the consumer's ack wait and the delivery lease).",
  }),
  DELIVERY_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    default: 10,
    description: 'Attempts before a delivery ends `delivery_failed` (with the last reason).',
  }),
  DELIVERY_CONCURRENCY: Type.Integer({
    minimum: 1,
    default: 8,
    description: 'Deliveries in flight per replica.',
  }),
  ...PublicFileUrlEnv,
  FILE_LINK_TTL_HOURS: Type.Integer({
    minimum: 1,
    maximum: 168,
    default: 168,
    description:
      'Validity of a viewer link (a Freshdesk note that could not attach the file, a Flex media entry).',
  }),
});
export type NoteRelayConfig = Static<typeof NoteRelayEnv>;

/** What NoteRelayEnv cannot say: the keys' format, and a way to reach Blob Storage. */
export const NoteRelayChecks: ConfigCheck<NoteRelayConfig>[] = [checkSecretKeys, checkAzureStorage];

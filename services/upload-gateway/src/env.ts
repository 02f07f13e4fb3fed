import { MAX_UPLOAD_BYTES } from '@uplink/contracts';
import {
  CommonEnv,
  type ConfigCheck,
  checkSecretKeys,
  frameAncestorsEnv,
  PublicConsoleOriginEnv,
  PublicUploadUrlEnv,
  port,
  SecretKeysEnv,
  TrustProxyEnv,
} from '@uplink/kit';
import { ClamavEnv } from '@uplink/scanning';
import { AzureStorageEnv, AzureStorageSetupEnv, checkAzureStorage } from '@uplink/storage';
import { type Static, Type } from 'typebox';

const MiB = 1024 * 1024;

export const UploadGatewayEnv = Type.Object({
  ...CommonEnv,
  ...TrustProxyEnv,
  ...AzureStorageEnv,
  ...AzureStorageSetupEnv,
  ...PublicUploadUrlEnv,
  ...ClamavEnv,
  ...PublicConsoleOriginEnv,
  // The audit log's customer address hashes are keyed with a key derived from it (customer-actor.ts).
  ...SecretKeysEnv,
  PORT: port(8081),
  FILE_VIEWER_FRAME_ANCESTORS: frameAncestorsEnv(
    [],
    "Origins whose pages may show the file viewer (`/f/<token>`) in a frame, space-separated, or `none`. Twilio Flex's `Embedded` media entries show it inside Flex: list Flex's origins (`https://flex.twilio.com`, and the Flex Insights origin your account uses). The customer's upload page is never framed.",
  ),
  UPLOAD_BLOCK_BYTES: Type.Integer({
    minimum: 64 * 1024,
    maximum: 100 * MiB,
    default: 4 * MiB,
    description:
      'The largest block the upload page stages. It starts with 256 KiB blocks (or this size, when smaller) and grows them while the connection is fast, so a dropped connection loses little; a link that carries the whole file within 4 s gets it in one Put Blob.',
  }),
  UPLOAD_SINGLE_PUT_MAX_BYTES: Type.Integer({
    minimum: 0,
    maximum: MAX_UPLOAD_BYTES,
    default: 256 * 1024,
    description:
      'Files up to this size (and up to UPLOAD_BLOCK_BYTES) are sent in one Put Blob; larger ones in staged blocks, each retried alone. One request loses everything sent when a connection drops, so keep it about the size of a first block.',
  }),
  SETTINGS_CACHE_MS: Type.Integer({
    minimum: 0,
    default: 5000,
    description: 'How long tenant settings (branding, media policy) are reused before being read again.',
  }),
  RETENTION_SWEEP_INTERVAL_MS: Type.Integer({
    minimum: 1000,
    default: 60 * 60 * 1000,
    description:
      "How often files past their tenant's retention (the media policy's `retentionDays` after delivery) are deleted.",
  }),
  AUDIT_RETENTION_DAYS: Type.Integer({
    minimum: 0,
    default: 0,
    description:
      "Audit log entries older than this many days are deleted at each retention sweep, each tenant's chain keeping the last deleted entry's hash as the checkpoint its verification starts from; 0 keeps them forever. Apart from files' retention (the media policy's `retentionDays`).",
  }),
  RATE_LIMIT_PER_IP: Type.Integer({
    minimum: 1,
    default: 120,
    description: 'Public requests per minute per client address.',
  }),
  RATE_LIMIT_PER_TOKEN: Type.Integer({
    minimum: 1,
    default: 30,
    description: 'Upload API requests per minute per link.',
  }),
});
export type UploadGatewayConfig = Static<typeof UploadGatewayEnv>;

/** What UploadGatewayEnv cannot say: a way to reach Blob Storage, and keys that parse. */
export const UploadGatewayChecks: ConfigCheck<UploadGatewayConfig>[] = [checkAzureStorage, checkSecretKeys];

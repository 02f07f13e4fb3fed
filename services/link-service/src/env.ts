import { EgressEnv } from '@uplink/egress';
import {
  CommonEnv,
  type ConfigCheck,
  checkSecretKeys,
  frameAncestorsEnv,
  PublicFileUrlEnv,
  PublicUploadUrlEnv,
  port,
  SecretKeysEnv,
  TrustProxyEnv,
} from '@uplink/kit';
import { AzureStorageEnv, checkOptionalAzureStorage } from '@uplink/storage';
import { DestinationHostsEnv } from '@uplink/tenants';
import { type Static, Type } from 'typebox';
import { DEFAULT_FRAME_ANCESTORS } from './console/csp.ts';
import { checkCorsOrigins } from './cors.ts';
import { checkSignIn, SignInEnv } from './sign-in/env.ts';

export const LinkServiceEnv = Type.Object({
  ...CommonEnv,
  ...TrustProxyEnv,
  ...SecretKeysEnv,
  // Where tenants' destinations may point: checked when settings are saved (note-relay again).
  ...EgressEnv,
  ...DestinationHostsEnv,
  // Optional: with a connection string or an account name, the console previews received files
  // through short-lived read URLs; without, previews answer 404. link-service only reads.
  AZURE_STORAGE_CONNECTION_STRING: AzureStorageEnv.AZURE_STORAGE_CONNECTION_STRING,
  AZURE_STORAGE_ACCOUNT_NAME: AzureStorageEnv.AZURE_STORAGE_ACCOUNT_NAME,
  AZURE_STORAGE_ACCOUNT_KEY: AzureStorageEnv.AZURE_STORAGE_ACCOUNT_KEY,
  AZURE_STORAGE_BLOB_ENDPOINT: AzureStorageEnv.AZURE_STORAGE_BLOB_ENDPOINT,
  AZURE_STORAGE_USE_IDENTITY: AzureStorageEnv.AZURE_STORAGE_USE_IDENTITY,
  AZURE_STORAGE_CONTAINER: AzureStorageEnv.AZURE_STORAGE_CONTAINER,
  ...PublicUploadUrlEnv,
  ...PublicFileUrlEnv,
  PORT: port(8080),
  UPLINK_BOOTSTRAP_API_KEY: Type.Optional(
    Type.String({
      minLength: 24,
      writeOnly: true,
      description: 'A demo tenant with this API key exists after start.',
    }),
  ),
  CONSOLE_FRAME_ANCESTORS: frameAncestorsEnv(
    DEFAULT_FRAME_ANCESTORS,
    'Origins whose pages may show the console in a frame (helpdesk sidebars), space-separated, or none; the console itself always may.',
  ),
  UPLINK_OPERATOR_TOKEN: Type.Optional(
    Type.String({
      minLength: 24,
      writeOnly: true,
      description: 'Enables the `/admin` routes, guarded by this bearer token.',
    }),
  ),
  AUTH_FAILURES_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 20,
    description:
      'Failed authentications (wrong or missing API key, stream credential or operator token) one client address may make in a minute; then 429 until the minute is over.',
  }),
  CORS_ALLOWED_ORIGINS: Type.String({
    default: '',
    description:
      'Origins whose pages may call the API and open the live stream from the browser (helpdesk apps), comma-separated, each exactly `scheme://host[:port]`; the origin is echoed back, never `*`, and cookies are never allowed cross-origin. Empty: CORS is off, no page elsewhere may read an answer.',
  }),
  LINK_STREAMS_PER_TENANT: Type.Integer({
    minimum: 1,
    default: 50,
    description: 'Live links streams (SSE) one tenant may hold open at once on one replica; more get 429.',
  }),
  LINK_STREAM_MAX_LIFETIME_MS: Type.Integer({
    minimum: 1000,
    default: 30 * 60 * 1000,
    description:
      'How long one live links stream stays open before it ends; the client reconnects with `Last-Event-ID` (its credential checked again) and misses nothing.',
  }),
  LINK_STREAM_CREDENTIAL_CHECK_MS: Type.Integer({
    minimum: 100,
    default: 30_000,
    description:
      'How often an open live links stream checks that the credential it was opened with still works; a revoked or expired one ends it with `event: credential-ended`.',
  }),
  ...SignInEnv,
});
export type LinkServiceConfig = Static<typeof LinkServiceEnv>;

/**
 * What LinkServiceEnv cannot say: the keys' format, storage settings complete when given, and
 * the CORS origins exact, and sign-in with an identity provider configured completely or not at
 * all.
 */
export const LinkServiceChecks: ConfigCheck<LinkServiceConfig>[] = [
  checkSecretKeys,
  checkOptionalAzureStorage,
  checkCorsOrigins,
  checkSignIn,
];

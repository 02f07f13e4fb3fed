import { CommonEnv, port, TrustProxyEnv } from '@uplink/kit';
import { type Static, Type } from 'typebox';

const MiB = 1024 * 1024;

export const UploadGatewayEnv = Type.Object({
  ...CommonEnv,
  ...TrustProxyEnv,
  PORT: port(8081),
  PUBLIC_UPLOAD_BASE_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:8081/u/',
    description:
      'Where customers open their links (the same value link-service uses). Its origin is the one storage CORS allows.',
  }),
  AZURE_STORAGE_CONNECTION_STRING: Type.Optional(
    Type.String({ minLength: 1, description: 'Account key connection string. Or the next three variables.' }),
  ),
  AZURE_STORAGE_ACCOUNT_NAME: Type.Optional(Type.String({ pattern: '^[a-z0-9]{3,24}$' })),
  AZURE_STORAGE_ACCOUNT_KEY: Type.Optional(Type.String({ minLength: 1 })),
  AZURE_STORAGE_BLOB_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'Defaults to https://<account>.blob.core.windows.net.',
    }),
  ),
  AZURE_STORAGE_USE_IDENTITY: Type.Boolean({
    default: false,
    description:
      'Sign upload SAS with a user delegation key from the Azure identity (workload identity, managed identity, az login) instead of the account key.',
  }),
  AZURE_STORAGE_CONTAINER: Type.String({
    pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$',
    default: 'uplink-uploads',
  }),
  AZURE_STORAGE_CONFIGURE: Type.Boolean({
    default: false,
    description:
      'At start, create the container and set the blob service CORS rule for the upload page origin. Off when the deployment owns both.',
  }),
  UPLOAD_BLOCK_BYTES: Type.Integer({
    minimum: 64 * 1024,
    maximum: 100 * MiB,
    default: 4 * MiB,
    description:
      'Files larger than this are sent as staged blocks of this size, so a failed request is retried alone.',
  }),
  SETTINGS_CACHE_MS: Type.Integer({
    minimum: 0,
    default: 5000,
    description: 'How long tenant settings (branding, media policy) are reused before being read again.',
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

import { type Static, Type } from 'typebox';

/** How a service reaches the uploads container. */
export const AzureStorageEnv = {
  AZURE_STORAGE_CONNECTION_STRING: Type.Optional(
    Type.String({
      minLength: 1,
      writeOnly: true,
      description:
        'Storage account connection string with an account key. upload-gateway and note-relay need it, or instead `AZURE_STORAGE_ACCOUNT_NAME` with its key or an identity; link-service works without (no console previews).',
    }),
  ),
  AZURE_STORAGE_ACCOUNT_NAME: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9]{3,24}$',
      description:
        'Storage account name, with `AZURE_STORAGE_ACCOUNT_KEY` or `AZURE_STORAGE_USE_IDENTITY=true`.',
    }),
  ),
  AZURE_STORAGE_ACCOUNT_KEY: Type.Optional(
    Type.String({ minLength: 1, writeOnly: true, description: "The storage account's key." }),
  ),
  AZURE_STORAGE_BLOB_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'Blob service endpoint; `https://<account>.blob.core.windows.net` when unset.',
    }),
  ),
  AZURE_STORAGE_USE_IDENTITY: Type.Boolean({
    default: false,
    description:
      'Sign SAS with a user delegation key from the Azure identity (workload/managed identity) instead of the account key; needs only the account name.',
  }),
  AZURE_STORAGE_CONTAINER: Type.String({
    pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$',
    default: 'uplink-uploads',
    description: 'Container for uploads.',
  }),
} as const;

/** For the service that may set the container up (upload-gateway, whose page's origin CORS allows). */
export const AzureStorageSetupEnv = {
  AZURE_STORAGE_CONFIGURE: Type.Boolean({
    default: false,
    description:
      "At start, create the container and set the CORS rule for the upload page's origin (PUT; `etag`, `x-ms-request-id` and `retry-after` exposed), replacing an older rule for that origin. Leave off when the deployment manages both.",
  }),
} as const;

const AzureStorageSchema = Type.Object(AzureStorageEnv);
export type AzureStorageConfig = Static<typeof AzureStorageSchema>;

type AzureStorageCredentials = Pick<
  AzureStorageConfig,
  | 'AZURE_STORAGE_CONNECTION_STRING'
  | 'AZURE_STORAGE_ACCOUNT_NAME'
  | 'AZURE_STORAGE_ACCOUNT_KEY'
  | 'AZURE_STORAGE_USE_IDENTITY'
>;

/** Whether any way to reach the storage account is configured (link-service: previews on). */
export function hasAzureStorage(config: AzureStorageCredentials): boolean {
  return Boolean(config.AZURE_STORAGE_CONNECTION_STRING || config.AZURE_STORAGE_ACCOUNT_NAME);
}

/**
 * A ConfigCheck for a service that needs Blob Storage: a connection string, or an account name
 * with its key or an identity. (Whether a connection string carries a key only the SDK can
 * tell: AzureBlobStore.fromConfig checks that.)
 */
export function checkAzureStorage(config: AzureStorageCredentials): string[] {
  if (config.AZURE_STORAGE_CONNECTION_STRING) return [];
  if (!config.AZURE_STORAGE_ACCOUNT_NAME) {
    return [
      'AZURE_STORAGE_CONNECTION_STRING: set it, or AZURE_STORAGE_ACCOUNT_NAME with a key or an identity',
    ];
  }
  if (!config.AZURE_STORAGE_USE_IDENTITY && !config.AZURE_STORAGE_ACCOUNT_KEY) {
    return [
      'AZURE_STORAGE_ACCOUNT_KEY: set it, or AZURE_STORAGE_USE_IDENTITY=true, to go with AZURE_STORAGE_ACCOUNT_NAME',
    ];
  }
  return [];
}

/** A ConfigCheck for a service that may use Blob Storage: nothing configured, or enough. */
export function checkOptionalAzureStorage(config: AzureStorageCredentials): string[] {
  return hasAzureStorage(config) ? checkAzureStorage(config) : [];
}

import { type Static, Type } from 'typebox';

/** How a service reaches the uploads container. */
export const AzureStorageEnv = {
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
} as const;

const AzureStorageSchema = Type.Object(AzureStorageEnv);
export type AzureStorageConfig = Static<typeof AzureStorageSchema>;

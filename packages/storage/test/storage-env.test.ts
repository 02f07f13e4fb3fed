import { describe, expect, it } from 'vitest';
import { checkAzureStorage, checkOptionalAzureStorage } from '../src/storage-env.ts';

const none = { AZURE_STORAGE_USE_IDENTITY: false };

describe('checkAzureStorage', () => {
  it('takes a connection string, or an account name with a key or an identity', () => {
    expect(
      checkAzureStorage({ ...none, AZURE_STORAGE_CONNECTION_STRING: 'AccountName=a;AccountKey=b' }),
    ).toEqual([]);
    expect(
      checkAzureStorage({ ...none, AZURE_STORAGE_ACCOUNT_NAME: 'a', AZURE_STORAGE_ACCOUNT_KEY: 'b' }),
    ).toEqual([]);
    expect(checkAzureStorage({ AZURE_STORAGE_ACCOUNT_NAME: 'a', AZURE_STORAGE_USE_IDENTITY: true })).toEqual(
      [],
    );
  });

  it('names what is missing', () => {
    expect(checkAzureStorage(none)).toEqual([
      'AZURE_STORAGE_CONNECTION_STRING: set it, or AZURE_STORAGE_ACCOUNT_NAME with a key or an identity',
    ]);
    expect(checkAzureStorage({ ...none, AZURE_STORAGE_ACCOUNT_NAME: 'a' })).toEqual([
      'AZURE_STORAGE_ACCOUNT_KEY: set it, or AZURE_STORAGE_USE_IDENTITY=true, to go with AZURE_STORAGE_ACCOUNT_NAME',
    ]);
  });

  it('optional: nothing at all is fine, half a configuration is not', () => {
    expect(checkOptionalAzureStorage(none)).toEqual([]);
    expect(checkOptionalAzureStorage({ ...none, AZURE_STORAGE_ACCOUNT_NAME: 'a' })).toHaveLength(1);
  });
});

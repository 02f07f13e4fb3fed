export * from './blob-storage.ts';
export * from './storage-env.ts';

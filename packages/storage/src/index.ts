export * from './azure-blob-store.ts';
export * from './blob-store.ts';
export * from './storage-env.ts';

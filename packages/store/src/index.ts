export * from './api-keys.ts';
export * from './file-share-store.ts';
export * from './link-store.ts';
export * from './sqlite/index.ts';
export * from './store.ts';
export * from './stream-ticket-store.ts';
export * from './tenant-store.ts';
export * from './upload-store.ts';

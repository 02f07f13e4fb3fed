export * from './connection.ts';
export * from './mongo-file-share-store.ts';
export * from './mongo-link-store.ts';
export * from './mongo-outbox-store.ts';
export * from './mongo-store.ts';
export * from './mongo-stream-ticket-store.ts';
export * from './mongo-tenant-store.ts';
export * from './mongo-upload-store.ts';

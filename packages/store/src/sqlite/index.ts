export * from './sqlite-agent-session-store.ts';
export * from './sqlite-file-share-store.ts';
export * from './sqlite-link-store.ts';
export * from './sqlite-outbox-store.ts';
export * from './sqlite-store.ts';
export * from './sqlite-stream-ticket-store.ts';
export * from './sqlite-tenant-store.ts';
export * from './sqlite-upload-store.ts';

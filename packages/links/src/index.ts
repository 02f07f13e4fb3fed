export * from './file-share-store.ts';
export * from './link-document.ts';
export * from './link-events.ts';
export * from './link-store.ts';
export * from './mongo-file-share-store.ts';
export * from './mongo-link-store.ts';
export * from './mongo-upload-store.ts';
export * from './upload-store.ts';

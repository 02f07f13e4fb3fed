export * from './file-share-store.ts';
export * from './link-document.ts';
export * from './link-events.ts';
export * from './link-store.ts';

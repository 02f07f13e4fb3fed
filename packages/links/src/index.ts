export * from './file-share.ts';
export * from './link-document.ts';
export * from './link-events.ts';
export * from './new-link.ts';
export * from './upload-document.ts';

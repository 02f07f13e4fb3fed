export * from './tenant-store.ts';

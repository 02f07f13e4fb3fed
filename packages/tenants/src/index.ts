export * from './cached-settings.ts';
export * from './tenant-store.ts';

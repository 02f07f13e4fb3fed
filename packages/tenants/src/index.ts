export * from './cached-settings.ts';
export * from './destination-store.ts';
export * from './destination-urls.ts';
export * from './tenant.ts';

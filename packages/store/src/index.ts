export * from './mongo-store.ts';
export * from './sqlite/index.ts';
export * from './store.ts';

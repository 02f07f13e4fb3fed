export * from './mongo-session-store.ts';
export * from './session-store.ts';
export * from './sqlite/index.ts';

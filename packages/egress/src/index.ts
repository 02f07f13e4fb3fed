export * from './addresses.ts';
export * from './egress.ts';
export * from './env.ts';

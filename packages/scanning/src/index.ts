export * from './clamav.ts';
export * from './env.ts';
export * from './scanner.ts';

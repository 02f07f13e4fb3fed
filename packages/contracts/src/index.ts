export * from './common.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './http.ts';
export * from './media.ts';
export * from './subjects.ts';
export * from './uploads.ts';
export * from './validation.ts';

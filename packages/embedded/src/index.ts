export * from './data-folder.ts';
export * from './infrastructure.ts';
export * from './run-uplink.ts';

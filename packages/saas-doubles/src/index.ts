// Test doubles of the SaaS side only: local HTTP servers that follow the documented APIs strictly.
// Never imported by production code. Every export carries its service's name, so the two
// `export *` cannot clash.
export type { DoubleChaos, DoubleFault } from './faults.ts';
export * from './freshdesk/index.ts';
export * from './twilio/index.ts';

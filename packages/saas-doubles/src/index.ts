// Test doubles of the SaaS side only, and of the Freshworks platform that hosts helpdesk apps:
// local HTTP servers that follow the documented APIs strictly. Never imported by production code.
// Every export carries its service's name, so the `export *` lines cannot clash.
export type { DoubleChaos, DoubleFault } from './faults.ts';
export * from './freshdesk/index.ts';
export * from './freshworks/index.ts';
// The seeded generator their fault draws use, for other replayable faults (bench's throttled link).
export { seededRandom } from './loopback.ts';
export * from './twilio/index.ts';

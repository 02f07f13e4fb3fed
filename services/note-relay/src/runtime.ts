/**
 * Node options note-relay should run with (NODE_OPTIONS in deployments; `npm start` and the
 * benchmarks use this constant). It streams large files in small chunks; with V8's default
 * young generation (tens of MB) sent chunks wait long for a scavenge, and 20 concurrent 20 MB
 * deliveries peaked above 300 MB. A 1 MB semi-space collects them promptly and halves the CPU
 * per delivery (bench/README.md, note-delivery). Set on the command line: V8 ignores it later.
 */
export const NOTE_RELAY_NODE_OPTIONS = '--max-semi-space-size=1';

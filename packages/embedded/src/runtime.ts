/**
 * Node options `npm start`'s process runs with: package.json's start script passes them, and the
 * tests and benchmarks that run scripts/start.ts use this constant (a test checks the two agree).
 * Set on the command line: V8 reads them once, when the heap is made.
 *
 * V8 sizes its heap by the machine's memory, not by what Uplink needs. On a 24 GB machine the
 * process committed 64 MB of young generation idle and 128 MB under load, and let the old
 * generation grow to up to four times its live size (about 60 MB) before collecting it: 401 MB of
 * RSS under link creation, most of it garbage. A 4 MB semi-space and a growing factor of 1.5 keep
 * that garbage small: about 220 MB under the same load, 170 MB idle, for a few percent more CPU
 * in the collector. Smaller semi-spaces (1-2 MB) save little more but scavenge several times as
 * often and promote requests still awaiting their commit. note-relay's streamed chunks are
 * collected promptly with this too (alone, it runs with 1 MB: services/note-relay/src/runtime.ts).
 * See bench/README.md, "embedded".
 */
export const NPM_START_NODE_OPTIONS = '--max-semi-space-size=4 --heap-growing-percent=50';

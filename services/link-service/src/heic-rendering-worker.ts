// Runs in a worker thread (see heic-rendering.ts): decoding HEVC and encoding JPEG are seconds of
// synchronous work for a phone photo, which must not stall the API's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import convert from 'heic-convert';

const { heic } = workerData as { heic: Uint8Array };
const jpeg = await convert({ buffer: heic, format: 'JPEG', quality: 0.85 });
parentPort?.postMessage(new Uint8Array(jpeg));

// For tests and benchmarks that start an embedded Uplink (`npm start`, in a process or in this one).
import { freePort } from '@uplink/dev-servers';

/** Variables of the caller's environment that would point Uplink elsewhere than its defaults. */
const NOT_INHERITED = [
  'MONGODB_URI',
  'NATS_URL',
  'AZURE_STORAGE_CONNECTION_STRING',
  'METRICS_PORT',
  'UPLINK_FERRETDB_BACKEND',
  'UPLINK_BOOTSTRAP_API_KEY',
  'UPLINK_SECRET_KEYS',
  'LOG_LEVEL',
  'HOST',
  'PORT',
  'NODE_OPTIONS',
];

/**
 * `base` as a newcomer's shell would have it for `npm start`: no MongoDB, NATS, Azure, telemetry
 * or other settings of the caller's, and free ports for the four services and Azurite, so runs
 * side by side do not collide. The caller adds what its run needs.
 */
export async function embeddedUplinkEnv(base: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    if (!key.startsWith('OTEL_') && !NOT_INHERITED.includes(key)) env[key] = value;
  }
  env.LINK_SERVICE_PORT = String(await freePort());
  env.UPLOAD_GATEWAY_PORT = String(await freePort());
  env.NOTE_RELAY_PORT = String(await freePort());
  env.EXPIRY_SCHEDULER_PORT = String(await freePort());
  env.AZURITE_BLOB_PORT = String(await freePort());
  return env;
}

// `npm start`: runs Uplink on this machine. It starts nats-server (JetStream) and a
// MongoDB-wire server with their data under .uplink/ (so a restart keeps every link) — or uses
// NATS_URL / MONGODB_URI when set — then runs each service as its own process, as containers
// would. Azurite (in-process storage emulator, data under .uplink/azurite) stands in for Azure Blob
// Storage unless AZURE_STORAGE_CONNECTION_STRING is set. Ctrl-C stops everything.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureBinaries, startAzurite, startMongo, startNats } from '@uplink/dev-servers';
import { SecretBox } from '@uplink/kit';
import { NOTE_RELAY_NODE_OPTIONS } from '../services/note-relay/src/runtime.ts';

const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(process.env.UPLINK_DATA_DIR ?? join(root, '.uplink'));
mkdirSync(dataDir, { recursive: true });

/** The demo tenant's key: from the environment, else generated once and kept with the data. */
function demoApiKey(): string {
  if (process.env.UPLINK_BOOTSTRAP_API_KEY) return process.env.UPLINK_BOOTSTRAP_API_KEY;
  const file = join(dataDir, 'demo-api-key');
  if (!existsSync(file)) {
    writeFileSync(file, `upk_demo_${crypto.randomUUID().replaceAll('-', '')}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** The key that seals tenants' destination credentials: from the environment, else made once. */
function secretKeys(): string {
  if (process.env.UPLINK_SECRET_KEYS) return process.env.UPLINK_SECRET_KEYS;
  const file = join(dataDir, 'secret-keys');
  if (!existsSync(file)) writeFileSync(file, `${SecretBox.generateSpec('local1')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

await ensureBinaries({ chromium: false });
const nats = process.env.NATS_URL
  ? { url: process.env.NATS_URL, stop: async () => {} }
  : await startNats({ storeDir: join(dataDir, 'nats') });
const mongo = await startMongo({ dataDir: join(dataDir, 'mongo') });
const azurite = process.env.AZURE_STORAGE_CONNECTION_STRING
  ? {
      connectionString: process.env.AZURE_STORAGE_CONNECTION_STRING,
      blobEndpoint: '(configured)',
      stop: async () => {},
    }
  : await startAzurite({ dataDir: join(dataDir, 'azurite'), inMemory: false, port: 10000 });

const linkServicePort = process.env.LINK_SERVICE_PORT ?? '8080';
const gatewayPort = process.env.UPLOAD_GATEWAY_PORT ?? '8081';
const publicUploadBaseUrl = process.env.PUBLIC_UPLOAD_BASE_URL ?? `http://127.0.0.1:${gatewayPort}/u/`;
// Viewer links in notes open the gateway's /f/ pages.
const publicFileBaseUrl = process.env.PUBLIC_FILE_BASE_URL ?? `http://127.0.0.1:${gatewayPort}/f/`;
const apiKey = demoApiKey();
const shared = {
  ...process.env,
  NATS_URL: nats.url,
  MONGODB_URI: mongo.uri,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  UPLINK_SECRET_KEYS: secretKeys(),
};
const services: Array<{ name: string; env: NodeJS.ProcessEnv }> = [
  {
    name: 'link-service',
    env: {
      ...shared,
      PORT: linkServicePort,
      UPLINK_BOOTSTRAP_API_KEY: apiKey,
      PUBLIC_UPLOAD_BASE_URL: publicUploadBaseUrl,
      // Read-only: the console's previews of received files.
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    },
  },
  {
    name: 'upload-gateway',
    env: {
      ...shared,
      PORT: gatewayPort,
      PUBLIC_UPLOAD_BASE_URL: publicUploadBaseUrl,
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      AZURE_STORAGE_CONFIGURE: 'true',
    },
  },
  {
    name: 'note-relay',
    env: {
      ...shared,
      NODE_OPTIONS: [process.env.NODE_OPTIONS, NOTE_RELAY_NODE_OPTIONS].filter(Boolean).join(' '),
      PORT: process.env.NOTE_RELAY_PORT ?? '8082',
      PUBLIC_FILE_BASE_URL: publicFileBaseUrl,
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    },
  },
  { name: 'expiry-scheduler', env: { ...shared, PORT: process.env.EXPIRY_SCHEDULER_PORT ?? '8083' } },
];

const children: ChildProcess[] = [];
let stopping = false;
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
    ),
  );
  await azurite.stop();
  await mongo.stop();
  await nats.stop();
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

for (const service of services) {
  const child = spawn(process.execPath, [join(root, 'services', service.name, 'src', 'main.ts')], {
    env: service.env,
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`${service.name} exited (${code ?? signal}); stopping everything.\n`);
    void stopAll(code || 1);
  });
  children.push(child);
}

const apiBase = `http://127.0.0.1:${linkServicePort}`;
const deadline = Date.now() + 30_000;
for (const base of [apiBase, `http://127.0.0.1:${gatewayPort}`]) {
  while (Date.now() < deadline) {
    const ready = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}
process.stdout.write(`
Uplink is running.
  API           ${apiBase}/v1   (OpenAPI UI: ${apiBase}/docs)
  Upload pages  ${publicUploadBaseUrl}<token>   (the url of a created link)
  Demo API key  ${apiKey}
  Data          ${dataDir}  (MongoDB-wire: ${mongo.uri}, NATS: ${nats.url}, Blob: ${azurite.blobEndpoint})

Try it:
  curl -s -X POST ${apiBase}/v1/links -H 'authorization: Bearer ${apiKey}' \\
    -H 'content-type: application/json' -d '{"ticket":{"provider":"freshdesk","id":"1001"}}'
`);

// Operator commands, run next to a deployment:
//   npm run tenant -- create --name "Acme Support"      -> prints the tenant id and its API key
//   npm run tenant -- add-key --tenant ten_... --label zendesk
// Uses MONGODB_URI and MONGODB_DB like the services do; without MONGODB_URI, the embedded store
// of `npm start` in UPLINK_DATA_DIR (default .uplink/), safe to use while it runs.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '@uplink/kit';
import { openSessionStore } from '@uplink/session-store';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    tenant: { type: 'string' },
    label: { type: 'string', default: 'cli' },
  },
});
const command = positionals[0];
const dataDir = resolve(process.env.UPLINK_DATA_DIR ?? resolve(import.meta.dirname, '../../../.uplink'));
const store = await openSessionStore(process.env, dataDir, 'uplink-cli');
const { tenants } = store;
const now = systemClock.now();
try {
  if (command === 'create' && values.name) {
    const tenant = await tenants.createTenant(values.name, now);
    const apiKey = await tenants.createApiKey(tenant._id, values.label, now);
    process.stdout.write(`${JSON.stringify({ tenantId: tenant._id, apiKey }, null, 2)}\n`);
  } else if (command === 'add-key' && values.tenant) {
    if (!(await tenants.getSettings(values.tenant))) throw new Error(`No tenant ${values.tenant}`);
    const apiKey = await tenants.createApiKey(values.tenant, values.label, now);
    process.stdout.write(`${JSON.stringify({ tenantId: values.tenant, apiKey }, null, 2)}\n`);
  } else {
    process.stderr.write(
      'usage: tenant create --name <company> | tenant add-key --tenant <id> [--label <text>]\n',
    );
    process.exitCode = 2;
  }
} finally {
  await store.close();
}

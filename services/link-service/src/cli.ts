// Operator commands, run next to a deployment:
//   npm run tenant -- create --name "Acme Support"      -> prints the tenant id and its API key
//   npm run tenant -- add-key --tenant ten_... --label zendesk
// Reads MONGODB_URI and MONGODB_DB like the service does.
import { parseArgs } from 'node:util';
import { CommonEnv, connectMongo, loadConfig, systemClock } from '@uplink/kit';
import { MongoTenantStore } from '@uplink/tenants';
import { Type } from 'typebox';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    tenant: { type: 'string' },
    label: { type: 'string', default: 'cli' },
  },
});
const command = positionals[0];
const config = loadConfig(
  Type.Object({ MONGODB_URI: CommonEnv.MONGODB_URI, MONGODB_DB: CommonEnv.MONGODB_DB }),
);
const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB, 'uplink-cli');
const tenants = new MongoTenantStore(mongo.db);
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
  await mongo.client.close();
}

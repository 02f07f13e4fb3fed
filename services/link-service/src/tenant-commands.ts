// The operator's commands on tenants, for both entry points: `npm run tenant` (scripts/tenant.ts,
// on npm start's data) and `node services/link-service/src/cli.ts` in a deployment.
//   tenant create --name "Acme Support"             -> prints the tenant id and its API key
//   tenant add-key --tenant ten_... --label zendesk  -> prints a new API key of that tenant
import { parseArgs } from 'node:util';
import type { Clock } from '@uplink/kit';
import type { TenantStore } from '@uplink/store';

const USAGE = 'usage: tenant create --name <company> | tenant add-key --tenant <id> [--label <text>]\n';

/** Runs the command in `args` on `tenants`; returns the process's exit code. */
export async function runTenantCommand(args: string[], tenants: TenantStore, clock: Clock): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      tenant: { type: 'string' },
      label: { type: 'string', default: 'cli' },
    },
  });
  const command = positionals[0];
  const now = clock.now();
  if (command === 'create' && values.name) {
    const tenant = await tenants.createTenant(values.name, now);
    const apiKey = await tenants.createApiKey(tenant._id, values.label, now);
    process.stdout.write(`${JSON.stringify({ tenantId: tenant._id, apiKey }, null, 2)}\n`);
    return 0;
  }
  if (command === 'add-key' && values.tenant) {
    if (!(await tenants.getSettings(values.tenant))) throw new Error(`No tenant ${values.tenant}`);
    const apiKey = await tenants.createApiKey(values.tenant, values.label, now);
    process.stdout.write(`${JSON.stringify({ tenantId: values.tenant, apiKey }, null, 2)}\n`);
    return 0;
  }
  process.stderr.write(USAGE);
  return 2;
}

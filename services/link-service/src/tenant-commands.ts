// The operator's commands on tenants, for both entry points: `npm run tenant` (scripts/tenant.ts,
// on npm start's data) and `node services/link-service/src/cli.ts` in a deployment.
//   tenant create --name "Acme Support"             -> prints the tenant id and its API key
//   tenant add-key --tenant ten_... --label zendesk  -> prints a new API key of that tenant
// Keys are admin keys unless --role integration is given (links and agent sessions only).
import { parseArgs } from 'node:util';
import { API_KEY_ROLES, type ApiKeyRole } from '@uplink/contracts';
import type { Clock } from '@uplink/kit';
import { AuditRecorder, type Store } from '@uplink/store';
import { OPERATOR } from './routes/admin.ts';
import { keyFacts } from './routes/api-keys.ts';

const USAGE =
  'usage: tenant create --name <company> [--role admin|integration] | tenant add-key --tenant <id> [--label <text>] [--role admin|integration]\n  --role: what the key may do; admin (everything) unless given\n';

function isApiKeyRole(role: string): role is ApiKeyRole {
  return (API_KEY_ROLES as readonly string[]).includes(role);
}

/** Runs the command in `args` on the store's tenants (each key made in the audit log); returns the process's exit code. */
export async function runTenantCommand(
  args: string[],
  store: Pick<Store, 'tenants' | 'audit'>,
  clock: Clock,
): Promise<number> {
  const { tenants } = store;
  const audit = new AuditRecorder(store.audit, clock);
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      tenant: { type: 'string' },
      label: { type: 'string', default: 'cli' },
      role: { type: 'string', default: 'admin' },
    },
  });
  const command = positionals[0];
  const { label, role } = values;
  const now = clock.now();
  if (!isApiKeyRole(role)) {
    process.stderr.write(`tenant: --role must be admin or integration, not ${role}\n${USAGE}`);
    return 2;
  }
  if (command === 'create' && values.name) {
    const tenant = await tenants.createTenant(values.name, now);
    const { key, stored } = await tenants.createApiKey(tenant._id, { label, role }, now);
    await audit.record(tenant._id, 'api_key.created', OPERATOR, { details: keyFacts(stored) });
    process.stdout.write(`${JSON.stringify({ tenantId: tenant._id, apiKey: key, role }, null, 2)}\n`);
    return 0;
  }
  if (command === 'add-key' && values.tenant) {
    if (!(await tenants.getSettings(values.tenant))) throw new Error(`No tenant ${values.tenant}`);
    const { key, stored } = await tenants.createApiKey(values.tenant, { label, role }, now);
    await audit.record(values.tenant, 'api_key.created', OPERATOR, { details: keyFacts(stored) });
    process.stdout.write(`${JSON.stringify({ tenantId: values.tenant, apiKey: key, role }, null, 2)}\n`);
    return 0;
  }
  process.stderr.write(USAGE);
  return 2;
}

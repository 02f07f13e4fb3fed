// The tenant commands (tenant-commands.ts) in a deployment, next to link-service:
//   kubectl exec deploy/uplink-link-service -- node services/link-service/src/cli.ts create --name "Acme"
// and the audit commands (audit-commands.ts) after `audit`:
//   kubectl exec deploy/uplink-link-service -- node services/link-service/src/cli.ts audit verify --tenant ten_...
// Opens the production session store with link-service's own configuration (MONGODB_URI,
// MONGODB_DB), as its main.ts does. `npm run tenant` is the same commands on npm start's data.
import { ConfigError, loadConfig, systemClock } from '@uplink/kit';
import { connectProductionStore } from '@uplink/store/production';
import { runAuditCommand } from './audit-commands.ts';
import { type LinkServiceConfig, LinkServiceEnv } from './env.ts';
import { runTenantCommand } from './tenant-commands.ts';

let config: LinkServiceConfig;
try {
  config = loadConfig(LinkServiceEnv, process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`tenant: ${err.message}\n`);
  process.exit(78); // EX_CONFIG
}
const store = await connectProductionStore(config, 'uplink-cli').catch((err: Error) => {
  process.stderr.write(`tenant: cannot open the session store: ${err.message}\n`);
  process.exit(69); // EX_UNAVAILABLE
});
try {
  const [first, ...rest] = process.argv.slice(2);
  process.exitCode =
    first === 'audit'
      ? await runAuditCommand(rest, store.audit)
      : await runTenantCommand(process.argv.slice(2), store, systemClock);
} finally {
  await store.close();
}

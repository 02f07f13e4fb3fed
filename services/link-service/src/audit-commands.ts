// The operator's audit commands, for both entry points: `npm run audit` (scripts/audit.ts, on npm
// start's data) and `node services/link-service/src/cli.ts audit ...` in a deployment.
//   audit verify --tenant ten_...   -> checks the tenant's chain; exit 0 when intact, 1 naming the
//                                      first entry altered or missing
import { parseArgs } from 'node:util';
import { type AuditLog, verifyAuditChain } from '@uplink/store';

const USAGE = 'usage: audit verify --tenant <id>\n';

/** Runs the command in `args` on `log`; returns the process's exit code. */
export async function runAuditCommand(args: string[], log: AuditLog): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { tenant: { type: 'string' } },
  });
  if (positionals[0] !== 'verify' || !values.tenant) {
    process.stderr.write(USAGE);
    return 2;
  }
  const verification = await verifyAuditChain(log, values.tenant);
  process.stdout.write(`${JSON.stringify({ tenantId: values.tenant, ...verification }, null, 2)}\n`);
  if (verification.firstBroken) {
    process.stderr.write(
      `audit: the chain of ${values.tenant} is broken: ${verification.firstBroken.reason}\n`,
    );
    return 1;
  }
  return 0;
}

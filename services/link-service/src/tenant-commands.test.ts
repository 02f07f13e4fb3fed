// `npm run tenant` and the deployment CLI make keys with a role: admin unless --role says otherwise.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSecret, systemClock } from '@uplink/kit';
import { SqliteStore } from '@uplink/store';
import { captureCommand } from '@uplink/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runTenantCommand } from './tenant-commands.ts';

let dir: string;
let store: SqliteStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uplink-tenant-cli-'));
  store = new SqliteStore(join(dir, 'sessions.sqlite'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** Runs a command; returns its exit code and what it printed. */
function run(...args: string[]) {
  return captureCommand(() => runTenantCommand(args, store, systemClock));
}

const roleOf = async (apiKey: string) =>
  (await store.tenants.verifyApiKey(hashSecret(apiKey), new Date()))?.role;

describe('tenant commands', () => {
  it('make admin keys by default, and integration keys with --role integration', async () => {
    const created = await run('create', '--name', 'Acme');
    expect(created.code).toBe(0);
    const { tenantId, apiKey, role } = JSON.parse(created.out);
    expect(role).toBe('admin');
    expect(await roleOf(apiKey)).toBe('admin');

    const added = await run('add-key', '--tenant', tenantId, '--label', 'zendesk', '--role', 'integration');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.out)).toMatchObject({ tenantId, role: 'integration' });
    expect(await roleOf(JSON.parse(added.out).apiKey)).toBe('integration');
    // Each key made is in the tenant's audit log, made by the operator.
    const made = await store.audit.list(tenantId, { action: 'api_key.created', limit: 10 });
    expect(made.map(({ actor, details }) => [actor, details.role])).toStrictEqual([
      [{ kind: 'system', name: 'operator' }, 'integration'],
      [{ kind: 'system', name: 'operator' }, 'admin'],
    ]);
  });

  it('refuse a role a key cannot have, saying which', async () => {
    const refused = await run('create', '--name', 'Acme', '--role', 'agent');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--role must be admin or integration, not agent');
    expect(await store.tenants.listTenantIds()).toEqual([]);
  });
});

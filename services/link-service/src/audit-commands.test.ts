// `npm run audit -- verify --tenant <id>` (and the deployment CLI's `audit verify`): exit 0 on an
// intact chain, 1 naming the first entry changed or deleted in the database file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteStore } from '@uplink/store';
import { captureCommand } from '@uplink/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runAuditCommand } from './audit-commands.ts';

let dir: string;
let store: SqliteStore;
const tenantId = 'ten_AAAAAAAAAAAAAAAAAAAA';
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'uplink-audit-cli-'));
  store = new SqliteStore(join(dir, 'sessions.sqlite'));
  for (let i = 0; i < 3; i++) {
    await store.audit.append(tenantId, {
      action: 'link.created',
      actor: { kind: 'api_key', keyPrefix: 'upk_AbCdEfGh', label: 'cli test' },
      linkId: `lnk_${i}`,
      at: new Date(),
    });
  }
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

function run(...args: string[]) {
  return captureCommand(() => runAuditCommand(args, store.audit));
}

function inFile(sql: string): void {
  const raw = new DatabaseSync(store.location);
  try {
    raw.prepare(sql).run(tenantId);
  } finally {
    raw.close();
  }
}

describe('audit verify', () => {
  it('answers 0 for an intact chain', async () => {
    const { code, out } = await run('verify', '--tenant', tenantId);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toStrictEqual({ tenantId, ok: true, checked: 3, from: 1 });
  });

  it('answers 1 naming the entry altered in the file', async () => {
    inFile(
      `UPDATE audit_entries SET doc = json_set(doc, '$.linkId', 'lnk_forged') WHERE tenant_id = ? AND seq = 2`,
    );
    const { code, out, err } = await run('verify', '--tenant', tenantId);
    expect(code).toBe(1);
    expect(JSON.parse(out).firstBroken).toStrictEqual({
      seq: 2,
      reason: 'entry 2 was altered: its hash does not match its content',
    });
    expect(err).toBe(
      `audit: the chain of ${tenantId} is broken: entry 2 was altered: its hash does not match its content\n`,
    );
  });

  it('answers 1 naming the entry deleted from the file', async () => {
    inFile('DELETE FROM audit_entries WHERE tenant_id = ? AND seq = 1');
    const { code, out } = await run('verify', '--tenant', tenantId);
    expect(code).toBe(1);
    expect(JSON.parse(out).firstBroken).toStrictEqual({
      seq: 1,
      reason: 'entry 1 missing (deleted): entry 2 follows the start of the chain',
    });
  });

  it('answers 2 with the usage for anything else', async () => {
    expect((await run('verify')).code).toBe(2);
    expect((await run('list', '--tenant', tenantId)).err).toBe('usage: audit verify --tenant <id>\n');
  });
});

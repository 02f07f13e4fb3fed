// Fuzzing the two public HTTP APIs with Schemathesis, from their own OpenAPI documents: link-service
// (/v1, with an admin API key and again with an agent session) and upload-gateway (/u/{token}/..., with a real link's token).
// Every response must be documented (status, content type, headers, body schema), requests the
// schema allows must be accepted and those it forbids refused with a 4xx, no 5xx, 405 for
// methods a path does not have. Runs against `npm start`'s embedded Uplink in this process.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureSchemathesis, run } from '@uplink/dev-servers';
import { type RunningUplink, startUplink } from '@uplink/embedded';
import { embeddedUplinkEnv } from '@uplink/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CONFIG = join(import.meta.dirname, 'schemathesis.toml');
const REPORTS = resolve(import.meta.dirname, '../../test-artifacts/api-fuzz');
const API_KEY = 'upk_api_fuzz_0123456789abcdef0123456789';

let uplink: RunningUplink;
let dataDir: string;
let schemathesis: string;

beforeAll(async () => {
  schemathesis = await ensureSchemathesis();
  dataDir = await mkdtemp(join(tmpdir(), 'uplink-api-fuzz-'));
  const env: NodeJS.ProcessEnv = {
    ...(await embeddedUplinkEnv()),
    LOG_LEVEL: 'error',
    UPLINK_BOOTSTRAP_API_KEY: API_KEY,
    // Thousands of requests from one address, hundreds on one link: the limits are tested elsewhere.
    RATE_LIMIT_PER_IP: '1000000',
    RATE_LIMIT_PER_TOKEN: '1000000',
    // Schemathesis also tries requests without the key, more than a person's budget a minute.
    AUTH_FAILURES_PER_MINUTE: '1000000',
  };
  uplink = await startUplink({ env, dataDir });
}, 180_000);

afterAll(async () => {
  await uplink?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Runs Schemathesis on one API; resolves with its exit code and what it printed. */
async function fuzz(name: string, openApiUrl: string, extra: readonly string[], linkToken = 'none') {
  const result = await run(
    schemathesis,
    [
      '--config-file',
      CONFIG,
      '--no-color',
      'run',
      openApiUrl,
      '--report',
      'junit',
      '--report-junit-path',
      join(REPORTS, `${name}.xml`),
      ...extra,
    ],
    { timeoutMs: 10 * 60_000, env: { ...process.env, NO_COLOR: '1', UPLINK_FUZZ_LINK_TOKEN: linkToken } },
  );
  return { code: result.code, output: result.output };
}

describe('API fuzzing (Schemathesis)', () => {
  it('link-service with an admin key: every documented operation, every check', {
    timeout: 10 * 60_000,
  }, async () => {
    const docs = new URL(uplink.urls.docs);
    const { code, output } = await fuzz('link-service', `${docs.origin}/docs/json`, [
      '--header',
      `Authorization: Bearer ${API_KEY}`,
    ]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/\d+ passed/);
  });

  it('link-service with an agent session: every documented operation, every check (403 where the role may not)', {
    timeout: 10 * 60_000,
  }, async () => {
    const started = await fetch(`${uplink.urls.api}/agent-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agent: { id: 'fuzz-agent', name: 'Fuzz Agent' }, source: 'console' }),
    });
    expect(started.status).toBe(201);
    const { token } = (await started.json()) as { token: string };
    const docs = new URL(uplink.urls.docs);
    const { code, output } = await fuzz('link-service-agent', `${docs.origin}/docs/json`, [
      '--header',
      `Authorization: Bearer ${token}`,
    ]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/\d+ passed/);
  });

  it('upload-gateway: the customer API of a real link, every check', { timeout: 10 * 60_000 }, async () => {
    const created = await fetch(`${uplink.urls.api}/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ticket: { provider: 'webhook', id: 'api-fuzz' } }),
    });
    expect(created.status).toBe(201);
    const { url } = (await created.json()) as { url: string };
    const token = new URL(url).pathname.split('/').pop() ?? '';
    const gateway = new URL(uplink.urls.uploads);
    const { code, output } = await fuzz(
      'upload-gateway',
      `${gateway.origin}/docs/json`,
      ['--header', 'Accept-Language: en'],
      token,
    );
    expect(code, output).toBe(0);
    expect(output).toMatch(/\d+ passed/);
  });
});

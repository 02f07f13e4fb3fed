import { ConfigError, loadConfig, SecretBox } from '@uplink/kit';
import { describe, expect, it } from 'vitest';
import { LinkServiceChecks, LinkServiceEnv } from '../env.ts';

const COMPLETE = {
  OIDC_ISSUER_URL: 'https://login.acme.example/realms/support',
  OIDC_CLIENT_ID: 'uplink-console',
  OIDC_CLIENT_SECRET: 'client-secret-value',
  OIDC_TENANT_ID: 'ten_acme',
  PUBLIC_CONSOLE_ORIGIN: 'https://uplink.acme.example',
  UPLINK_SECRET_KEYS: SecretBox.generateSpec(),
};

const load = (env: Record<string, string>) => loadConfig(LinkServiceEnv, env, LinkServiceChecks);

function refusal(env: Record<string, string>): string {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('sign-in with an identity provider, configured', () => {
  it('is off by default, and on with every variable it needs', () => {
    expect(load({}).OIDC_ISSUER_URL).toBeUndefined();
    expect(load(COMPLETE)).toMatchObject({
      OIDC_SCOPES: 'openid profile email',
      CONSOLE_SESSION_MINUTES: 480,
    });
    expect(load({ ...COMPLETE, OIDC_ISSUER_URL: 'http://127.0.0.1:9000' }).OIDC_ISSUER_URL).toBe(
      'http://127.0.0.1:9000',
    );
  });

  it('names each variable missing', () => {
    const {
      OIDC_CLIENT_SECRET: _secret,
      PUBLIC_CONSOLE_ORIGIN: _origin,
      UPLINK_SECRET_KEYS: _keys,
      ...rest
    } = COMPLETE;
    const message = refusal(rest);
    expect(message).toContain('OIDC_CLIENT_SECRET: required with OIDC_ISSUER_URL');
    expect(message).toContain('PUBLIC_CONSOLE_ORIGIN: required with OIDC_ISSUER_URL');
    expect(message).toContain('UPLINK_SECRET_KEYS: required with OIDC_ISSUER_URL');
  });

  it('wants the tenant from a claim or a fixed id, one of the two', () => {
    const { OIDC_TENANT_ID: _tenant, ...neither } = COMPLETE;
    expect(refusal(neither)).toContain('OIDC_TENANT_CLAIM: set it or OIDC_TENANT_ID');
    expect(refusal({ ...COMPLETE, OIDC_TENANT_CLAIM: 'tenant' })).toContain(
      'OIDC_TENANT_CLAIM: set it or OIDC_TENANT_ID',
    );
  });

  it('refuses a provider variable without the issuer, plain http off loopback, an origin with a path, scopes without openid', () => {
    expect(refusal({ OIDC_CLIENT_ID: 'x' })).toContain('OIDC_CLIENT_ID: is set, but OIDC_ISSUER_URL is not');
    expect(refusal({ ...COMPLETE, OIDC_ISSUER_URL: 'http://login.acme.example' })).toContain(
      'OIDC_ISSUER_URL',
    );
    expect(refusal({ ...COMPLETE, PUBLIC_CONSOLE_ORIGIN: 'https://uplink.acme.example/console' })).toContain(
      'PUBLIC_CONSOLE_ORIGIN',
    );
    expect(refusal({ ...COMPLETE, OIDC_SCOPES: 'profile email' })).toContain('OIDC_SCOPES');
  });
});

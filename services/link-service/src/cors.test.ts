import { loadConfig } from '@uplink/kit';
import { describe, expect, it } from 'vitest';
import { corsOriginList } from './cors.ts';
import { LinkServiceChecks, LinkServiceEnv } from './env.ts';

const load = (CORS_ALLOWED_ORIGINS: string) =>
  loadConfig(LinkServiceEnv, { CORS_ALLOWED_ORIGINS }, LinkServiceChecks).CORS_ALLOWED_ORIGINS;

describe('CORS_ALLOWED_ORIGINS', () => {
  it('is empty by default: CORS off', () => {
    expect(corsOriginList(loadConfig(LinkServiceEnv, {}, LinkServiceChecks).CORS_ALLOWED_ORIGINS)).toEqual(
      [],
    );
  });

  it('takes exact origins, comma-separated', () => {
    expect(
      corsOriginList(load(' https://app.example.com,http://127.0.0.1:8080 , https://[::1]:8443')),
    ).toEqual(['https://app.example.com', 'http://127.0.0.1:8080', 'https://[::1]:8443']);
  });

  it.each([
    ['a wildcard', '*'],
    ['a wildcard host', 'https://*.example.com'],
    ['a path', 'https://app.example.com/'],
    ['no scheme', 'app.example.com'],
    ['another scheme', 'ftp://app.example.com'],
    ['capitals (browsers send lower case)', 'https://App.example.com'],
    ['a default port spelled out (browsers leave it out)', 'https://app.example.com:443'],
    ['a space instead of a comma', 'https://a.example https://b.example'],
  ])('refuses %s at start, naming the variable and the entry', (_, value) => {
    expect(() => load(`https://fine.example,${value}`)).toThrow(
      `CORS_ALLOWED_ORIGINS: ${JSON.stringify(value)} is not an origin`,
    );
  });
});

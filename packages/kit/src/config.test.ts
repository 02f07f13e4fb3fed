import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { CommonEnv, ConfigError, frameAncestorsEnv, loadConfig, originList, port } from './config.ts';

const Schema = Type.Object({ ...CommonEnv, PORT: port(8080), FEATURE_LIMIT: Type.Integer({ minimum: 1 }) });

describe('loadConfig', () => {
  it('applies defaults and converts numbers', () => {
    const config = loadConfig(Schema, { FEATURE_LIMIT: '5', PORT: '9000' });
    expect(config).toMatchObject({
      PORT: 9000,
      FEATURE_LIMIT: 5,
      LOG_LEVEL: 'info',
      NATS_URL: 'nats://127.0.0.1:4222',
    });
  });

  it('names the missing variable', () => {
    expect(() => loadConfig(Schema, {})).toThrow(/FEATURE_LIMIT/);
  });

  it('runs the checks on a configuration the schema accepted, and reports their problems with its own', () => {
    const limitBelowPort = (config: { FEATURE_LIMIT: number; PORT: number }) =>
      config.FEATURE_LIMIT < config.PORT ? [] : ['FEATURE_LIMIT: must be below PORT'];
    expect(loadConfig(Schema, { FEATURE_LIMIT: '5', PORT: '9000' }, [limitBelowPort]).FEATURE_LIMIT).toBe(5);
    expect(() => loadConfig(Schema, { FEATURE_LIMIT: '9000', PORT: '80' }, [limitBelowPort])).toThrow(
      /Invalid configuration:\n {2}FEATURE_LIMIT: must be below PORT/,
    );
    // A check never sees what the schema refused (its types would not hold).
    const seen: unknown[] = [];
    const recordSeen = (config: unknown) => {
      seen.push(config);
      return [];
    };
    expect(() => loadConfig(Schema, { PORT: 'eighty' }, [recordSeen])).toThrow(/PORT/);
    expect(seen).toEqual([]);
  });

  it('never repeats the value of a secret (writeOnly) it refuses', () => {
    const attempt = () =>
      loadConfig(Schema, { FEATURE_LIMIT: '1', MONGODB_URI: 'postgres://admin:hunter2@db' });
    expect(attempt).toThrow(/MONGODB_URI: must match pattern/);
    expect(attempt).not.toThrow(/hunter2/);
  });

  it('names the bad variable and the value it got', () => {
    const attempt = () => loadConfig(Schema, { FEATURE_LIMIT: '1', PORT: 'eighty', NATS_URL: 'http://x' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT: .*\(got "eighty"\)/);
    expect(attempt).toThrow(/NATS_URL: must match pattern .*\(got "http:\/\/x"\)/);
  });
});

describe('frameAncestorsEnv', () => {
  const Framing = Type.Object({ FRAMERS: frameAncestorsEnv(['https://*.example.com'], 'test') });

  it('takes space-separated origins, wildcard first labels and ports, and defaults to its list', () => {
    const value = ' https://flex.twilio.com  https://*.freshdesk.com http://localhost:8080 ';
    expect(originList(loadConfig(Framing, { FRAMERS: value }).FRAMERS)).toEqual([
      'https://flex.twilio.com',
      'https://*.freshdesk.com',
      'http://localhost:8080',
    ]);
    expect(originList(loadConfig(Framing, {}).FRAMERS)).toEqual(['https://*.example.com']);
    expect(originList(loadConfig(Framing, { FRAMERS: ' none ' }).FRAMERS)).toEqual([]);
    const NoDefault = Type.Object({ FRAMERS: frameAncestorsEnv([], 'test') });
    expect(originList(loadConfig(NoDefault, {}).FRAMERS)).toEqual([]);
  });

  it.each([
    "'none'",
    'none https://flex.twilio.com',
    '*',
    'flex.twilio.com',
    'https://flex.twilio.com/path',
    'https://flex.twilio.com; script-src *',
    'https://a.com,https://b.com',
    'javascript:alert(1)',
  ])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig(Framing, { FRAMERS: value })).toThrow(/FRAMERS: must match pattern/);
  });
});

import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { CommonEnv, ConfigError, loadConfig, port } from './config.ts';

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

  it('names the bad variable and the value it got', () => {
    const attempt = () =>
      loadConfig(Schema, { FEATURE_LIMIT: '1', PORT: 'eighty', MONGODB_URI: 'postgres://x' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT: .*\(got "eighty"\)/);
    expect(attempt).toThrow(/MONGODB_URI: must match pattern .*\(got "postgres:\/\/x"\)/);
  });
});

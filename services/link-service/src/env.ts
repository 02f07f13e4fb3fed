import { CommonEnv, port, SecretKeysEnv, TrustProxyEnv } from '@uplink/kit';
import { type Static, Type } from 'typebox';

export const LinkServiceEnv = Type.Object({
  ...CommonEnv,
  ...TrustProxyEnv,
  ...SecretKeysEnv,
  PORT: port(8080),
  PUBLIC_UPLOAD_BASE_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:8081/u/',
    description: 'Customer links are this plus the token. Never derived from the request Host header.',
  }),
  UPLINK_BOOTSTRAP_API_KEY: Type.Optional(
    Type.String({
      minLength: 24,
      description: 'When set, a demo tenant with this API key exists after start.',
    }),
  ),
  UPLINK_OPERATOR_TOKEN: Type.Optional(
    Type.String({ minLength: 24, description: 'Enables the /admin routes, guarded by this bearer token.' }),
  ),
});
export type LinkServiceConfig = Static<typeof LinkServiceEnv>;

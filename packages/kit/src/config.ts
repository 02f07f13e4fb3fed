import { type Static, type TObject, type TProperties, Type } from 'typebox';
import Value from 'typebox/value';

/**
 * Configuration comes from environment variables, described by one TypeBox schema whose keys are
 * the variable names: the schema gives the TypeScript type and the validation. It is parsed once
 * at start; a bad value stops the process with the variable's name.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A rule the schema cannot say, over the parsed configuration (several variables together, a
 * value's inner format): each problem starts with the variable's name, and never repeats a value
 * (it may be a secret).
 */
export type ConfigCheck<C> = (config: C) => string[];

export function loadConfig<P extends TProperties>(
  schema: TObject<P>,
  env: Record<string, string | undefined> = process.env,
  checks: readonly ConfigCheck<Static<TObject<P>>>[] = [],
): Static<TObject<P>> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Convert(schema, Value.Default(schema, raw));
  const problems = [...Value.Errors(schema, converted)]
    .filter((e) => !/\/anyOf\/\d+$/.test(e.schemaPath))
    .map((e) => {
      const name = e.instancePath.replace(/^\//, '') || missingName(e.params);
      // A secret's value (JSON Schema's writeOnly) would end up in the logs: only its name is said.
      const secret = (schema.properties[name] as { writeOnly?: boolean } | undefined)?.writeOnly === true;
      const given = name in raw && !secret ? ` (got ${JSON.stringify(raw[name])})` : '';
      return `${name}: ${e.message}${given}`;
    });
  // The checks read a configuration the schema accepted, so they run only then.
  if (problems.length === 0)
    for (const check of checks) problems.push(...check(converted as Static<TObject<P>>));
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${[...new Set(problems)].join('\n  ')}`);
  }
  return converted as Static<TObject<P>>;
}

function missingName(params: unknown): string {
  const required = (params as { requiredProperties?: string[] }).requiredProperties;
  return required?.join(', ') ?? '(environment)';
}

/** SHUTDOWN_TIMEOUT_MS unless set: the whole shutdown after the drain, all phases together. */
export const DEFAULT_SHUTDOWN_BUDGET_MS = 30_000;

/** Variables every service reads. Services extend these with their own. */
export const CommonEnv = {
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'The least severe log lines written (`silent`: none).' },
  ),
  HOST: Type.String({
    default: '127.0.0.1',
    description: 'Interface the HTTP server binds to (`0.0.0.0` in containers).',
  }),
  MONGODB_URI: Type.String({
    pattern: '^mongodb(\\+srv)?://',
    // It may carry a password.
    writeOnly: true,
    default: 'mongodb://127.0.0.1:27017/',
    description: 'MongoDB (or MongoDB-compatible) server.',
  }),
  MONGODB_DB: Type.String({ minLength: 1, default: 'uplink', description: 'Database name.' }),
  NATS_URL: Type.String({
    pattern: '^(nats|tls|wss?)://',
    default: 'nats://127.0.0.1:4222',
    description: 'NATS server with JetStream.',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: DEFAULT_SHUTDOWN_BUDGET_MS,
    description:
      'The time the whole shutdown after the drain delay may take, all its phases together (stop consumers and timers, close HTTP, publish the outbox, close the event bus and the session store, flush telemetry); a phase still running when it is spent is cut short and the rest skipped.',
  }),
  SHUTDOWN_DRAIN_DELAY_MS: Type.Integer({
    minimum: 0,
    // Longer would hold a stopping pod (and a rollout) for minutes.
    maximum: 120_000,
    default: 5_000,
    description:
      'On SIGTERM, how long `/readyz` answers 503 while the service still serves, before the shutdown phases close it: the time load balancers need to stop sending it traffic (Kubernetes: endpoint propagation). Not part of `SHUTDOWN_TIMEOUT_MS`; `0` closes at once.',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'Export traces and metrics over OTLP/HTTP to this endpoint when set.',
    }),
  ),
  METRICS_PORT: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 65535,
      description:
        'Serve Prometheus metrics at `http://<HOST>:<METRICS_PORT>/metrics`, a port of its own so the ingress never exposes it.',
    }),
  ),
} as const;

/** For services behind a reverse proxy: which hops' X-Forwarded-For to believe. */
export const TrustProxyEnv = {
  TRUST_PROXY: Type.Optional(
    Type.String({
      description: 'Comma-separated proxy addresses/CIDRs whose `X-Forwarded-For` is believed.',
    }),
  ),
} as const;

const SecretKeys = Type.String({
  minLength: 1,
  writeOnly: true,
  description:
    "Keys that seal tenant credentials: `kid:base64(32 bytes)`, comma-separated, the first seals, all open (rotation: put the new key first). `npm start` makes one in `.uplink/secret-keys`. upload-gateway keys the audit log's hashes of customer addresses with a key derived from the first (without it, a random key per process).",
});

/** For services that store tenant credentials when they can (see SecretBox, checkSecretKeys). */
export const SecretKeysEnv = { UPLINK_SECRET_KEYS: Type.Optional(SecretKeys) } as const;

/** For services that cannot work without opening tenant credentials (note-relay). */
export const RequiredSecretKeysEnv = { UPLINK_SECRET_KEYS: SecretKeys } as const;

/** The TRUST_PROXY value as Fastify's `trustProxy` option: never trust unless configured. */
export function trustedProxies(value: string | undefined): string[] | false {
  return value ? value.split(',').map((s) => s.trim()) : false;
}

/**
 * A space-separated list of web origins that may frame a page (CSP `frame-ancestors` sources):
 * `https://host[:port]`, the host's first label may be `*`. `none`: framed by none (an empty
 * variable counts as unset, so it cannot say that).
 */
export function frameAncestorsEnv(defaults: readonly string[], description: string) {
  return Type.String({
    pattern: '^\\s*(none|(https?://(\\*\\.)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?\\s*)*)\\s*$',
    default: defaults.length > 0 ? defaults.join(' ') : 'none',
    description,
  });
}

/** The origins of a frameAncestorsEnv value. */
export function originList(value: string): string[] {
  return value.trim() === 'none' ? [] : value.split(/\s+/).filter(Boolean);
}

/** Where customers open their links: link-service writes them, upload-gateway serves them. */
export const PublicUploadUrlEnv = {
  PUBLIC_UPLOAD_BASE_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:8081/u/',
    description:
      "Customer links are this plus the token; never taken from the request's Host header. Its origin is the one storage CORS allows.",
  }),
} as const;

/** upload-gateway's viewer on its default port. */
export const DEFAULT_PUBLIC_FILE_BASE_URL = 'http://127.0.0.1:8081/f/';

/** Where agents open delivered files: note-relay puts these links in notes, link-service sends signed-in agents back to them. */
export const PublicFileUrlEnv = {
  PUBLIC_FILE_BASE_URL: Type.String({
    pattern: '^https?://',
    default: DEFAULT_PUBLIC_FILE_BASE_URL,
    description:
      "Viewer links in notes and Flex entries are this plus a token: upload-gateway's `/f/` route, at an address agents' browsers reach. link-service sends an agent it signed in for a file back here.",
  }),
} as const;

/** https, or plain http on loopback (a console on the developer's machine). */
const SECURE_OR_LOOPBACK_ORIGIN =
  '^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?)$';

/** Where browsers reach link-service's console: its sign-in, and the sign-in step of files that need it. */
export const PublicConsoleOriginEnv = {
  PUBLIC_CONSOLE_ORIGIN: Type.Optional(
    Type.String({
      pattern: SECURE_OR_LOOPBACK_ORIGIN,
      description:
        "The origin browsers reach link-service at (`https://uplink.acme.example`, no path): the OpenID Provider sends them back to `<origin>/console/sign-in/callback`, and requests that write with the console's session cookie must come from it; upload-gateway sends agents there to sign in for the files of tenants whose files need sign-in. https, or http on loopback for development.",
    }),
  ),
} as const;

export function port(defaultPort: number) {
  return Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: defaultPort,
    description: 'HTTP port (`/healthz`, `/readyz`, and the API).',
  });
}

/** What the shared service runner needs from every service's configuration. */
export type CommonConfig = Static<TObject<typeof CommonEnv>> & { PORT: number };

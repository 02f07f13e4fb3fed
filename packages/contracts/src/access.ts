import { type Static, Type } from 'typebox';
import { Timestamp } from './common.ts';

/**
 * What a credential may do. `admin`: everything of its tenant (settings, destinations and their
 * secrets, keys). `integration`: links, agent sessions, settings read without secrets. `agent`:
 * links only (create, list, revoke, previews, the live stream). API keys are admin or
 * integration; agent sessions are agent, or admin when minted for an identity provider's admin.
 */
export const ROLES = ['admin', 'integration', 'agent'] as const;
export const Role = Type.Enum(ROLES);
export type Role = Static<typeof Role>;

export const API_KEY_ROLES = ['admin', 'integration'] as const;
export const ApiKeyRole = Type.Enum(API_KEY_ROLES, {
  description: '`admin`: settings, destinations, keys and links. `integration`: links and agent sessions.',
});
export type ApiKeyRole = Static<typeof ApiKeyRole>;

export const AgentSessionRole = Type.Enum(['agent', 'admin'] as const);
export type AgentSessionRole = Static<typeof AgentSessionRole>;

/** The person an agent session speaks for, as the helpdesk or identity provider names them. */
export const Agent = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 200,
      description: "The agent's id in the helpdesk or identity provider.",
    }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 320, format: 'email' })),
  },
  { additionalProperties: false },
);
export type Agent = Static<typeof Agent>;

export const AgentSource = Type.String({
  minLength: 1,
  maxLength: 50,
  pattern: '^[a-z0-9][a-z0-9._-]*$',
  description: 'Where the agent works: `freshdesk`, `twilio-flex`, `console`, …',
});

/** The first characters of an API key, enough for a person to tell keys apart; never the key. */
export const KeyPrefix = Type.String({ minLength: 4, maxLength: 16, pattern: '^upk_[A-Za-z0-9_-]*$' });

/** Who did something: an agent (through an agent session) or an API key. */
export const Actor = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('agent'),
      id: Agent.properties.id,
      name: Agent.properties.name,
      email: Type.Optional(Agent.properties.email),
      source: AgentSource,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('api_key'), keyPrefix: KeyPrefix, label: Type.String({ maxLength: 100 }) },
    { additionalProperties: false },
  ),
]);
export type Actor = Static<typeof Actor>;

/** What GET /v1/whoami answers: who the request's credential is, and what it may do. */
export const Whoami = Type.Object(
  {
    tenantId: Type.String(),
    role: Role,
    actor: Actor,
  },
  { additionalProperties: false },
);
export type Whoami = Static<typeof Whoami>;

export const AGENT_SESSION_DEFAULT_MINUTES = 60;
export const AGENT_SESSION_MAX_MINUTES = 12 * 60;

export const CreateAgentSessionBody = Type.Object(
  {
    agent: Agent,
    source: AgentSource,
    ttlMinutes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: AGENT_SESSION_MAX_MINUTES,
        description: 'How long the session works: 60 minutes unless given, at most 12 hours.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateAgentSessionBody = Static<typeof CreateAgentSessionBody>;

export const AgentSessionId = Type.String({ pattern: '^ses_[A-Za-z0-9]{20}$' });

export const CreatedAgentSession = Type.Object(
  {
    id: AgentSessionId,
    token: Type.String({ description: 'The session token (ups_...). Shown once: only its hash is stored.' }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);
export type CreatedAgentSession = Static<typeof CreatedAgentSession>;

export const AgentSessionParams = Type.Object({ id: AgentSessionId }, { additionalProperties: false });

export const ApiKeyId = Type.String({
  pattern: '^key_[A-Za-z0-9]{20}$',
  description: 'The key id (not the key).',
});

/** An API key as the key management API shows it: never the key itself. */
export const ApiKeyView = Type.Object(
  {
    id: ApiKeyId,
    prefix: Type.String({
      description:
        'The first characters of the key, to tell keys apart (`upk_` alone for keys made before prefixes were kept).',
    }),
    role: ApiKeyRole,
    label: Type.String(),
    createdAt: Timestamp,
    expiresAt: Type.Optional(Timestamp),
    lastUsedAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'When a request last used the key, to within about 10 seconds.',
      }),
    ),
    revokedAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type ApiKeyView = Static<typeof ApiKeyView>;

export const ApiKeyList = Type.Object({ keys: Type.Array(ApiKeyView) }, { additionalProperties: false });
export type ApiKeyList = Static<typeof ApiKeyList>;

export const CreateApiKeyBody = Type.Object(
  {
    label: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'What the key is for, e.g. "Freshdesk app".',
    }),
    role: ApiKeyRole,
    expiresInDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3650,
        description: 'The key stops working this many days from now.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

// One closed object, not an intersection with ApiKeyView (see CreatedLink).
export const CreatedApiKey = Type.Object(
  {
    ...ApiKeyView.properties,
    key: Type.String({ description: 'The API key. Shown once: only its hash is stored.' }),
  },
  { additionalProperties: false },
);
export type CreatedApiKey = Static<typeof CreatedApiKey>;

export const ApiKeyParams = Type.Object({ id: ApiKeyId }, { additionalProperties: false });

import { type Static, Type } from 'typebox';

/** https, or plain http for loopback addresses only (local test doubles); checked again on save. */
const ServiceUrl = Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 500 });
const Secret = (description: string) => Type.String({ minLength: 1, maxLength: 500, description });

export const FLEX_MEDIA_ENTRY_TYPES = ['Referenced', 'Embedded'] as const;
export const TWILIO_TASKROUTER_URL = 'https://taskrouter.twilio.com';

/** What the API shows of a tenant's destinations: everything but the secrets. */
export const DestinationsView = Type.Object(
  {
    freshdesk: Type.Union([
      Type.Object(
        { baseUrl: ServiceUrl, apiKeySet: Type.Boolean() },
        { additionalProperties: false, description: 'Notes on Freshdesk tickets.' },
      ),
      Type.Null(),
    ]),
    twilioFlex: Type.Union([
      Type.Object(
        {
          accountSid: Type.String(),
          workspaceSid: Type.String(),
          baseUrl: ServiceUrl,
          mediaEntry: Type.Enum(FLEX_MEDIA_ENTRY_TYPES),
          authTokenSet: Type.Boolean(),
        },
        { additionalProperties: false, description: 'Media entries on Twilio Flex (TaskRouter) tasks.' },
      ),
      Type.Null(),
    ]),
    webhook: Type.Union([
      Type.Object(
        { url: ServiceUrl, secretSet: Type.Boolean() },
        {
          additionalProperties: false,
          description: 'Signed JSON posts; also the fallback for Flex tasks that can no longer change.',
        },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);
export type DestinationsView = Static<typeof DestinationsView>;

/**
 * A change to the destinations. Secrets are write-only: set them here, they are never returned.
 * `null` removes a destination; fields left out keep their value.
 */
export const DestinationsUpdate = Type.Object(
  {
    freshdesk: Type.Optional(
      Type.Union([
        Type.Object(
          {
            baseUrl: Type.Optional(ServiceUrl),
            apiKey: Type.Optional(Secret('The Freshdesk API key of the agent Uplink posts as.')),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        Type.Null(),
      ]),
    ),
    twilioFlex: Type.Optional(
      Type.Union([
        Type.Object(
          {
            accountSid: Type.Optional(Type.String({ pattern: '^AC[0-9a-fA-F]{32}$' })),
            workspaceSid: Type.Optional(Type.String({ pattern: '^WS[0-9a-fA-F]{32}$' })),
            baseUrl: Type.Optional(ServiceUrl),
            mediaEntry: Type.Optional(Type.Enum(FLEX_MEDIA_ENTRY_TYPES)),
            authToken: Type.Optional(Secret('The Twilio auth token (or an API key secret).')),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        Type.Null(),
      ]),
    ),
    webhook: Type.Optional(
      Type.Union([
        Type.Object(
          {
            url: Type.Optional(ServiceUrl),
            secret: Type.Optional(
              Type.String({ minLength: 16, maxLength: 500, description: 'The HMAC-SHA256 signing secret.' }),
            ),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        Type.Null(),
      ]),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type DestinationsUpdate = Static<typeof DestinationsUpdate>;

/** True when a destination URL may be used: https anywhere, plain http only on loopback. */
export function isAllowedServiceUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

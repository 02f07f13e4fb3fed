import { type Static, Type } from 'typebox';
import { Actor } from './access.ts';
import {
  ContextMessage,
  LinkId,
  LinkStatus,
  Provider,
  ShortId,
  TicketId,
  TicketRef,
  Timestamp,
  ValidityHours,
} from './common.ts';
import { DestinationsUpdate, DestinationsView } from './destinations.ts';
import { BlockedUpload, DeliveryTarget } from './events.ts';
import { MediaPolicy, MediaPolicyUpdate } from './media.ts';
import { UploadId, UploadKind } from './uploads.ts';

export const CreateLinkBody = Type.Object(
  {
    ticket: TicketRef,
    contextMessage: Type.Optional(ContextMessage),
    validityHours: Type.Optional(ValidityHours),
  },
  { additionalProperties: false },
);
export type CreateLinkBody = Static<typeof CreateLinkBody>;

/** What the API shows of each received file. */
const LinkFileFacts = {
  fileName: Type.String(),
  contentType: Type.String(),
  size: Type.Integer({ minimum: 1 }),
  kind: UploadKind,
  deletedAt: Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        "When the file was deleted from storage, the tenant's retention having run out: no preview or viewer link after that.",
    }),
  ),
};

export const LinkView = Type.Object(
  {
    id: LinkId,
    shortId: ShortId,
    ticket: TicketRef,
    status: LinkStatus,
    contextMessage: Type.Optional(ContextMessage),
    validityHours: ValidityHours,
    createdAt: Timestamp,
    expiresAt: Timestamp,
    expiresInSeconds: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Seconds until expiry, for pending links only.' }),
    ),
    createdBy: Type.Optional(
      Type.Union(Actor.anyOf, {
        description: 'Who created the link (absent for links made before this was recorded).',
      }),
    ),
    revokedAt: Type.Optional(Timestamp),
    revokedBy: Type.Optional(Type.Union(Actor.anyOf, { description: 'Who revoked the link.' })),
    receivedAt: Type.Optional(Timestamp),
    deliveredAt: Type.Optional(Timestamp),
    delivery: Type.Optional(DeliveryTarget),
    deliveryFailure: Type.Optional(
      Type.String({
        description: 'Why the file could not be posted to the ticket (status delivery_failed).',
      }),
    ),
    file: Type.Optional(
      Type.Object(LinkFileFacts, {
        additionalProperties: false,
        description:
          'The first file the customer sent, once received: for clients from before a submission could hold several files (`files` lists them all).',
      }),
    ),
    files: Type.Optional(
      Type.Array(Type.Object({ uploadId: UploadId, ...LinkFileFacts }, { additionalProperties: false }), {
        description:
          'Every file the customer sent, in their order, once received; `uploadId` names one to the preview routes (`?uploadId=`).',
      }),
    ),
    customerMessage: Type.Optional(
      Type.String({ description: 'What the customer wrote for the agent with the files, once received.' }),
    ),
    customerAttemptRefused: Type.Optional(
      Type.Boolean({
        description: "True when the customer tried to send while the tenant's media receiving was off.",
      }),
    ),
    blockedUpload: Type.Optional(
      Type.Object(BlockedUpload.properties, {
        additionalProperties: false,
        description:
          'The last file the customer tried to send that the malware scanner blocked (deleted, never delivered), and what it found; the link stayed usable.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type LinkView = Static<typeof LinkView>;

// One closed object, not an intersection with LinkView: `allOf` of closed objects lets no
// document through (each part refuses the other's fields).
export const CreatedLink = Type.Object(
  {
    ...LinkView.properties,
    url: Type.String({ description: "The customer's upload link. Shown once: only its hash is stored." }),
    replyText: Type.String({ description: 'A reply the agent can paste into the conversation.' }),
  },
  { additionalProperties: false },
);
export type CreatedLink = Static<typeof CreatedLink>;

export const LinkList = Type.Object({ links: Type.Array(LinkView) }, { additionalProperties: false });
export type LinkList = Static<typeof LinkList>;

export const LinkParams = Type.Object({ id: LinkId }, { additionalProperties: false });

export const FileLinksRevoked = Type.Object(
  {
    revoked: Type.Integer({
      minimum: 0,
      description: "Viewer links of the link's file that worked until this call and no longer do.",
    }),
  },
  { additionalProperties: false },
);
export type FileLinksRevoked = Static<typeof FileLinksRevoked>;
/** Which of a link's received files a preview route reads: its first when the query names none. */
export const FileQuery = Type.Object({ uploadId: Type.Optional(UploadId) }, { additionalProperties: false });
export type FileQuery = Static<typeof FileQuery>;

/** A short-lived read URL for a link's received file, for the console's inline preview. */
export const FileUrl = Type.Object(
  {
    url: Type.String({ description: 'Read-only, shown inline, with the verified content type.' }),
    contentType: Type.String({ description: 'As verified from the content.' }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);
export type FileUrl = Static<typeof FileUrl>;

export const TicketParams = Type.Object(
  { provider: Provider, ticketId: TicketId },
  { additionalProperties: false },
);
export type TicketParams = Static<typeof TicketParams>;

/** A bare host name such as support.example.com (no scheme, no path). */
const SupportDomain = Type.String({
  maxLength: 253,
  pattern:
    '^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$',
});

export const Settings = Type.Object(
  {
    companyName: Type.String({ minLength: 1, maxLength: 100 }),
    supportDomain: Type.Union([SupportDomain, Type.Null()]),
    defaultValidityHours: ValidityHours,
    mediaPolicy: MediaPolicy,
    filesNeedSignIn: Type.Boolean({
      description:
        "Viewer pages (`/f/<token>`) and preview URLs need an agent session of the tenant (the console's sign-in, or a helpdesk app's session) instead of being capabilities whoever holds the link may open. Off by default; turn it on for sensitive data.",
    }),
  },
  { additionalProperties: false },
);
export type Settings = Static<typeof Settings>;

/** The settings as the API shows them: with the destinations, secrets left out. */
export const SettingsView = Type.Object(
  { ...Settings.properties, destinations: DestinationsView },
  { additionalProperties: false },
);
export type SettingsView = Static<typeof SettingsView>;

export const SettingsUpdate = Type.Object(
  {
    companyName: Type.Optional(Settings.properties.companyName),
    supportDomain: Type.Optional(Settings.properties.supportDomain),
    defaultValidityHours: Type.Optional(ValidityHours),
    mediaPolicy: Type.Optional(MediaPolicyUpdate),
    filesNeedSignIn: Type.Optional(Settings.properties.filesNeedSignIn),
    destinations: Type.Optional(DestinationsUpdate),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'Fields you leave out keep their current value, also inside mediaPolicy.',
  },
);
export type SettingsUpdate = Static<typeof SettingsUpdate>;

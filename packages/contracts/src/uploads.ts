import { type Static, Type } from 'typebox';
import { Timestamp } from './common.ts';
import { MAX_UPLOAD_BYTES } from './media-types.ts';

/** How the customer produced the file: the page's three tabs. */
export const UPLOAD_KINDS = ['audio', 'video', 'file'] as const;
export const UploadKind = Type.Enum(UPLOAD_KINDS, {
  description: '`audio` and `video` are recordings made in the page; `file` is a picked file.',
});
export type UploadKind = Static<typeof UploadKind>;

export const UploadId = Type.String({ pattern: '^upl_[A-Za-z0-9]{20}$' });

/** The link token as it appears in the customer's URL (base64url, 43 characters for 32 bytes). */
export const LINK_TOKEN_PATTERN = '^[A-Za-z0-9_-]{20,100}$';
export const LinkToken = Type.String({ pattern: LINK_TOKEN_PATTERN });
export const TokenParams = Type.Object({ token: LinkToken }, { additionalProperties: false });
export type TokenParams = Static<typeof TokenParams>;
export const UploadParams = Type.Object(
  { token: LinkToken, uploadId: UploadId },
  { additionalProperties: false },
);
export type UploadParams = Static<typeof UploadParams>;

export const UploadIntentBody = Type.Object(
  {
    fileName: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'Shown to the agent after cleaning.',
    }),
    contentType: Type.String({ minLength: 0, maxLength: 200 }),
    size: Type.Integer({ minimum: 1, maximum: MAX_UPLOAD_BYTES }),
    kind: UploadKind,
  },
  { additionalProperties: false },
);
export type UploadIntentBody = Static<typeof UploadIntentBody>;

export const UploadIntent = Type.Object(
  {
    uploadId: UploadId,
    uploadUrl: Type.String({ description: 'The blob URL with its SAS. Valid for one new blob only.' }),
    method: Type.Literal('PUT'),
    headers: Type.Record(Type.String(), Type.String(), {
      description: 'Headers the single PUT (or the final Put Block List) must send.',
    }),
    blockBytes: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description:
        'null: send the file in one Put Blob. Otherwise stage blocks of this size (Put Block) and commit them with Put Block List, so a failed request is retried alone.',
    }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);
export type UploadIntent = Static<typeof UploadIntent>;

export const UploadReceipt = Type.Object(
  { status: Type.Literal('received'), receivedAt: Timestamp },
  { additionalProperties: false },
);
export type UploadReceipt = Static<typeof UploadReceipt>;

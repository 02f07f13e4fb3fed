import { type Static, Type } from 'typebox';
import { Timestamp } from './common.ts';
import { MAX_FILES_PER_SUBMISSION, MAX_UPLOAD_BYTES } from './media-types.ts';

/** How the customer produced the file: the page's three tabs. */
export const UPLOAD_KINDS = ['audio', 'video', 'file'] as const;
export const UploadKind = Type.Enum(UPLOAD_KINDS, {
  description: '`audio` and `video` are recordings made in the page; `file` is a picked file.',
});
export type UploadKind = Static<typeof UploadKind>;

export const UPLOAD_ID_PATTERN = '^upl_[A-Za-z0-9]{20}$';
export const UploadId = Type.String({ pattern: UPLOAD_ID_PATTERN });

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
        'null: send the file in one Put Blob. Otherwise stage blocks of at most this size (Put Block) and commit them with Put Block List, so a failed request is retried alone.',
    }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);
export type UploadIntent = Static<typeof UploadIntent>;

/** Where an intent stands: `issued` until it is completed, refused, or abandoned (its SAS long expired). */
export const UPLOAD_STATES = ['issued', 'completed', 'rejected', 'abandoned'] as const;

/** What a reopened page needs to continue an upload it started: `GET /u/{token}/uploads/{uploadId}`. */
export const UploadResumption = Type.Object(
  {
    uploadId: UploadId,
    state: Type.Enum(UPLOAD_STATES, {
      description: 'Only an `issued` upload can be continued; otherwise the page starts the file anew.',
    }),
    fileName: Type.String({ description: 'The declared name, as cleaned for the agent.' }),
    contentType: Type.String(),
    size: Type.Integer({ minimum: 1 }),
    kind: UploadKind,
    blocks: Type.Array(
      Type.Object({ id: Type.String(), size: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
      {
        description:
          'The blocks storage holds for the upload and has not committed (Put Block List not sent yet): their ids, as the page sent them, and sizes. Empty unless `issued`.',
      },
    ),
    committed: Type.Boolean({
      description:
        'The blob is stored whole (its Put Blob or Put Block List went through) with the declared size: nothing is left to send, only the completion. False unless `issued`.',
    }),
    sas: Type.Optional(
      Type.Object(
        {
          uploadUrl: Type.String({ description: 'A new SAS for the same blob, with the same permissions.' }),
          expiresAt: Timestamp,
        },
        {
          additionalProperties: false,
          description:
            "Present when the intent's SAS runs out within 5 minutes (or has), while the upload is `issued`.",
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type UploadResumption = Static<typeof UploadResumption>;

export const UploadReceipt = Type.Object(
  { status: Type.Literal('received'), receivedAt: Timestamp },
  { additionalProperties: false },
);
export type UploadReceipt = Static<typeof UploadReceipt>;

export const CUSTOMER_MESSAGE_MAX = 2000;
/** No control characters but the newline: the message is shown to agents and put into notes. */
const CUSTOMER_MESSAGE_PATTERN = '^[^\\u0000-\\u0009\\u000B-\\u001F\\u007F]*$';
/** What a customer's message may be, wherever it is stored or sent. */
const customerMessageText = {
  minLength: 1,
  maxLength: CUSTOMER_MESSAGE_MAX,
  pattern: CUSTOMER_MESSAGE_PATTERN,
} as const;
export const CustomerMessage = Type.String({
  ...customerMessageText,
  description:
    "The customer's message for the agent, sent with the files; no control characters but newlines.",
});
export type CustomerMessage = Static<typeof CustomerMessage>;

/**
 * The customer sends the files of one submission together: each was given an intent
 * (`POST /u/{token}/uploads`) and put into storage first.
 */
export const SubmissionBody = Type.Object(
  {
    uploadIds: Type.Array(UploadId, {
      minItems: 1,
      maxItems: MAX_FILES_PER_SUBMISSION,
      uniqueItems: true,
      description:
        "The uploads to send, in the order the agent sees them; at most the policy's maxFilesPerSubmission.",
    }),
    message: Type.Optional(
      Type.String({
        ...customerMessageText,
        description:
          "The customer's message for the agent. Trimmed; one that is only white space counts as none. No control characters but newlines.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type SubmissionBody = Static<typeof SubmissionBody>;

export const SubmissionReceipt = Type.Object(
  {
    status: Type.Literal('received'),
    receivedAt: Timestamp,
    files: Type.Array(
      Type.Object({ uploadId: UploadId, fileName: Type.String() }, { additionalProperties: false }),
      { description: 'The files received, in the order they were sent, with the names the agent sees.' },
    ),
  },
  { additionalProperties: false },
);
export type SubmissionReceipt = Static<typeof SubmissionReceipt>;

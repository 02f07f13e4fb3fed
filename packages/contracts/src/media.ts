import { type Static, type TProperties, Type } from 'typebox';
import {
  DEFAULT_FILES_PER_SUBMISSION,
  DEFAULT_MAX_BYTES,
  MAX_FILES_PER_SUBMISSION,
  MAX_SUBMISSION_BYTES,
  MAX_UPLOAD_BYTES,
  MEDIA_CATEGORIES,
} from './media-types.ts';

export * from './media-types.ts';

export const MediaCategory = Type.Enum(MEDIA_CATEGORIES);
export type MediaCategory = Static<typeof MediaCategory>;

const CategoryPolicy = Type.Object(
  {
    allowed: Type.Boolean(),
    maxBytes: Type.Integer({ minimum: 1, maximum: MAX_UPLOAD_BYTES, description: 'Largest file, in bytes.' }),
  },
  { additionalProperties: false },
);

function perCategory<T extends TProperties[string]>(schema: T) {
  return Type.Object(
    {
      audio: schema,
      video: schema,
      image: schema,
      document: schema,
      archive: schema,
    },
    { additionalProperties: false },
  );
}

export const MediaPolicy = Type.Object(
  {
    receiveEnabled: Type.Boolean({
      description: 'When off, customers see `disabledMessage` instead of the upload form.',
    }),
    disabledMessage: Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()]),
    categories: perCategory(CategoryPolicy),
    retentionDays: Type.Integer({
      minimum: 1,
      maximum: 365,
      description: 'Files are deleted this many days after they were delivered.',
    }),
    scanFiles: Type.Boolean({
      description:
        'Scan every file for malware before accepting it, when the deployment has a scanner (`CLAMAV_URL`); a file the scanner blocks is deleted and never delivered. Off: files are accepted unscanned.',
    }),
    maxFilesPerSubmission: Type.Integer({
      minimum: 1,
      maximum: MAX_FILES_PER_SUBMISSION,
      description: `How many files and recordings the customer may send together (default ${DEFAULT_FILES_PER_SUBMISSION}).`,
    }),
    maxSubmissionBytes: Type.Union(
      [Type.Integer({ minimum: 1, maximum: MAX_SUBMISSION_BYTES }), Type.Null()],
      {
        description:
          'The most bytes one submission may hold together. null: the size limits of the allowed categories summed, at most 100 MB.',
      },
    ),
  },
  { additionalProperties: false },
);
export type MediaPolicy = Static<typeof MediaPolicy>;

/** A change to the media policy: what it leaves out keeps its value, down to each category. */
export const MediaPolicyUpdate = Type.Object(
  {
    receiveEnabled: Type.Optional(MediaPolicy.properties.receiveEnabled),
    disabledMessage: Type.Optional(MediaPolicy.properties.disabledMessage),
    categories: Type.Optional(
      Type.Partial(
        perCategory(Type.Partial(CategoryPolicy, { additionalProperties: false, minProperties: 1 })),
        {
          additionalProperties: false,
          minProperties: 1,
        },
      ),
    ),
    retentionDays: Type.Optional(MediaPolicy.properties.retentionDays),
    scanFiles: Type.Optional(MediaPolicy.properties.scanFiles),
    maxFilesPerSubmission: Type.Optional(MediaPolicy.properties.maxFilesPerSubmission),
    maxSubmissionBytes: Type.Optional(MediaPolicy.properties.maxSubmissionBytes),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type MediaPolicyUpdate = Static<typeof MediaPolicyUpdate>;

export function defaultMediaPolicy(): MediaPolicy {
  const category = () => ({ allowed: true, maxBytes: DEFAULT_MAX_BYTES });
  return {
    receiveEnabled: true,
    disabledMessage: null,
    categories: {
      audio: category(),
      video: category(),
      image: category(),
      document: category(),
      archive: category(),
    },
    retentionDays: 30,
    scanFiles: true,
    maxFilesPerSubmission: DEFAULT_FILES_PER_SUBMISSION,
    maxSubmissionBytes: null,
  };
}

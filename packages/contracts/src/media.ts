import { type Static, type TProperties, Type } from 'typebox';
import { DEFAULT_MAX_BYTES, MAX_UPLOAD_BYTES, MEDIA_CATEGORIES } from './media-types.ts';

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
  };
}

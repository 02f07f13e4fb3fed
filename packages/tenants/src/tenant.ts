import {
  DEFAULT_VALIDITY_HOURS,
  defaultMediaPolicy,
  MEDIA_CATEGORIES,
  type MediaPolicy,
  type Settings,
} from '@uplink/contracts';
import { hashSecret } from '@uplink/kit';

export type TenantDocument = {
  _id: string;
  name: string;
  settings: Settings;
  createdAt: Date;
  updatedAt: Date;
};

export const API_KEY_PREFIX = 'upk_';

/** The tenant id the bootstrap key maps to: derived, so every replica picks the same. */
export function bootstrapTenantId(key: string): string {
  return `ten_${hashSecret(key)
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 20)
    .padEnd(20, '0')}`;
}

export function newTenant(id: string, name: string, now: Date): TenantDocument {
  return {
    _id: id,
    name,
    settings: {
      companyName: name,
      supportDomain: null,
      defaultValidityHours: DEFAULT_VALIDITY_HOURS,
      mediaPolicy: defaultMediaPolicy(),
      filesNeedSignIn: false,
    },
    createdAt: now,
    updatedAt: now,
  };
}

/** Tenants stored before a setting existed read as if they had its default. */
export function withDefaults(stored: Partial<Settings> & Pick<Settings, 'companyName'>): Settings {
  const defaults = defaultMediaPolicy();
  const policy: Partial<MediaPolicy> = stored.mediaPolicy ?? {};
  const categories = { ...defaults.categories };
  for (const category of MEDIA_CATEGORIES) {
    categories[category] = { ...defaults.categories[category], ...policy.categories?.[category] };
  }
  return {
    companyName: stored.companyName,
    supportDomain: stored.supportDomain ?? null,
    defaultValidityHours: stored.defaultValidityHours ?? DEFAULT_VALIDITY_HOURS,
    mediaPolicy: { ...defaults, ...policy, categories },
    // Viewer links stay capabilities unless the tenant chose otherwise.
    filesNeedSignIn: stored.filesNeedSignIn ?? false,
  };
}

// The settings page: filled from GET /v1/settings, saved with PUT /v1/settings carrying only
// what changed. Secrets are write-only: their fields start empty, say whether one is stored,
// and are sent only when the agent typed a new one. A stored destination can be marked for
// removal: the save then sends `null` for it and ignores its fields.
import type { MediaPolicyUpdate, SettingsUpdate, SettingsView } from '@uplink/contracts';
import type { ConsoleConfig } from '../../src/console/config.ts';
import { byId as field } from './dom.ts';

const MB = 1024 * 1024;
type Messages = ConsoleConfig['messages'];
type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
type Destination = keyof SettingsView['destinations'];

const orNull = (value: string) => (value.trim() === '' ? null : value.trim());
const megabytes = (bytes: number) => String(Math.max(1, Math.round(bytes / MB)));
/** A submission's limit as the field shows it: empty for the default (the categories' limits summed). */
const submissionMegabytes = (bytes: number | null) => (bytes === null ? '' : megabytes(bytes));

export class SettingsForm {
  private readonly m: Messages;
  private readonly categories: ConsoleConfig['mediaCategories'];
  private loaded: SettingsView | undefined;
  private readonly f = {
    companyName: field<HTMLInputElement>('set-company-name'),
    supportDomain: field<HTMLInputElement>('set-support-domain'),
    validity: field<HTMLSelectElement>('set-validity'),
    receive: field<HTMLInputElement>('set-receive'),
    disabledMessage: field<HTMLTextAreaElement>('set-disabled-message'),
    maxFiles: field<HTMLInputElement>('set-max-files'),
    maxSubmission: field<HTMLInputElement>('set-max-submission'),
    retention: field<HTMLInputElement>('set-retention'),
    scan: field<HTMLInputElement>('set-scan'),
    filesNeedSignIn: field<HTMLInputElement>('set-files-sign-in'),
    fdUrl: field<HTMLInputElement>('set-fd-url'),
    fdKey: field<HTMLInputElement>('set-fd-key'),
    flexAccount: field<HTMLInputElement>('set-flex-account'),
    flexWorkspace: field<HTMLInputElement>('set-flex-workspace'),
    flexEntry: field<HTMLSelectElement>('set-flex-entry'),
    flexToken: field<HTMLInputElement>('set-flex-token'),
    webhookUrl: field<HTMLInputElement>('set-webhook-url'),
    webhookSecret: field<HTMLInputElement>('set-webhook-secret'),
  };
  /** Each destination's "remove" checkbox and the fields it sets aside. */
  private readonly removal: Record<Destination, { box: HTMLInputElement; fields: Field[] }> = {
    freshdesk: { box: field<HTMLInputElement>('set-fd-remove'), fields: [this.f.fdUrl, this.f.fdKey] },
    twilioFlex: {
      box: field<HTMLInputElement>('set-flex-remove'),
      fields: [this.f.flexAccount, this.f.flexWorkspace, this.f.flexEntry, this.f.flexToken],
    },
    webhook: {
      box: field<HTMLInputElement>('set-webhook-remove'),
      fields: [this.f.webhookUrl, this.f.webhookSecret],
    },
  };

  constructor(config: ConsoleConfig) {
    this.m = config.messages;
    this.categories = config.mediaCategories;
    for (const { box, fields } of Object.values(this.removal)) {
      // The fields of a destination marked for removal are not saved, so they are not editable.
      box.addEventListener('change', () => {
        for (const input of fields) input.disabled = box.checked;
      });
    }
  }

  /** Shows the saved settings; typed secrets are cleared. */
  fill(settings: SettingsView): void {
    this.loaded = settings;
    const { f } = this;
    f.companyName.value = settings.companyName;
    f.supportDomain.value = settings.supportDomain ?? '';
    f.validity.value = String(settings.defaultValidityHours);
    const policy = settings.mediaPolicy;
    f.receive.checked = policy.receiveEnabled;
    f.disabledMessage.value = policy.disabledMessage ?? '';
    f.maxFiles.value = String(policy.maxFilesPerSubmission);
    f.maxSubmission.value = submissionMegabytes(policy.maxSubmissionBytes);
    f.retention.value = String(policy.retentionDays);
    f.scan.checked = policy.scanFiles;
    f.filesNeedSignIn.checked = settings.filesNeedSignIn;
    for (const category of this.categories) {
      field<HTMLInputElement>(`set-${category}-allowed`).checked = policy.categories[category].allowed;
      field<HTMLInputElement>(`set-${category}-max`).value = megabytes(policy.categories[category].maxBytes);
    }
    const { freshdesk, twilioFlex, webhook } = settings.destinations;
    f.fdUrl.value = freshdesk?.baseUrl ?? '';
    f.flexAccount.value = twilioFlex?.accountSid ?? '';
    f.flexWorkspace.value = twilioFlex?.workspaceSid ?? '';
    f.flexEntry.value = twilioFlex?.mediaEntry ?? (f.flexEntry.options[0]?.value as string);
    f.webhookUrl.value = webhook?.url ?? '';
    this.secretState(f.fdKey, freshdesk?.apiKeySet === true);
    this.secretState(f.flexToken, twilioFlex?.authTokenSet === true);
    this.secretState(f.webhookSecret, webhook?.secretSet === true);
    for (const [name, { box, fields }] of Object.entries(this.removal)) {
      box.checked = false;
      for (const input of fields) input.disabled = false;
      const row = document.getElementById(`${box.id}-row`);
      if (row) row.hidden = settings.destinations[name as Destination] === null;
    }
  }

  /** True when the stored destination is marked for removal. */
  private removing(name: Destination): boolean {
    return this.loaded?.destinations[name] != null && this.removal[name].box.checked;
  }

  private secretState(input: HTMLInputElement, stored: boolean): void {
    input.value = '';
    const state = document.getElementById(`${input.id}-state`);
    if (state) state.textContent = stored ? this.m.secretStored : this.m.secretNotStored;
  }

  /** What changed since `fill`, as a PUT body; undefined when nothing did. */
  changes(): SettingsUpdate | undefined {
    const before = this.loaded;
    if (!before) return undefined;
    const { f } = this;
    const update: Record<string, unknown> = {};
    if (f.companyName.value.trim() !== before.companyName) update.companyName = f.companyName.value.trim();
    if (orNull(f.supportDomain.value) !== before.supportDomain)
      update.supportDomain = orNull(f.supportDomain.value);
    if (Number(f.validity.value) !== before.defaultValidityHours) {
      update.defaultValidityHours = Number(f.validity.value);
    }

    const policy: MediaPolicyUpdate = {};
    const was = before.mediaPolicy;
    if (f.receive.checked !== was.receiveEnabled) policy.receiveEnabled = f.receive.checked;
    if (orNull(f.disabledMessage.value) !== was.disabledMessage) {
      policy.disabledMessage = orNull(f.disabledMessage.value);
    }
    if (Number(f.maxFiles.value) !== was.maxFilesPerSubmission) {
      policy.maxFilesPerSubmission = Number(f.maxFiles.value);
    }
    // Compared in the unit shown, as the categories' limits are; empty is the default (null).
    const maxSubmission = f.maxSubmission.value.trim();
    if (maxSubmission !== submissionMegabytes(was.maxSubmissionBytes)) {
      policy.maxSubmissionBytes = maxSubmission === '' ? null : Math.round(Number(maxSubmission) * MB);
    }
    if (Number(f.retention.value) !== was.retentionDays) policy.retentionDays = Number(f.retention.value);
    if (f.scan.checked !== was.scanFiles) policy.scanFiles = f.scan.checked;
    const categories: Record<string, { allowed?: boolean; maxBytes?: number }> = {};
    for (const category of this.categories) {
      const allowed = field<HTMLInputElement>(`set-${category}-allowed`).checked;
      const max = field<HTMLInputElement>(`set-${category}-max`).value;
      const change: { allowed?: boolean; maxBytes?: number } = {};
      if (allowed !== was.categories[category].allowed) change.allowed = allowed;
      // Compared in the unit shown, so an unchanged field never rounds the stored limit.
      if (max !== megabytes(was.categories[category].maxBytes))
        change.maxBytes = Math.round(Number(max) * MB);
      if (Object.keys(change).length > 0) categories[category] = change;
    }
    if (Object.keys(categories).length > 0) policy.categories = categories;
    if (Object.keys(policy).length > 0) update.mediaPolicy = policy;
    if (f.filesNeedSignIn.checked !== before.filesNeedSignIn)
      update.filesNeedSignIn = f.filesNeedSignIn.checked;

    const destinations: Record<string, Record<string, string> | null> = {};
    const dest = before.destinations;
    const changed = (name: Destination, values: Record<string, [string, string | undefined]>) => {
      if (this.removing(name)) {
        destinations[name] = null;
        return;
      }
      const out: Record<string, string> = {};
      for (const [key, [now, then]] of Object.entries(values)) {
        if (now.trim() !== '' && now.trim() !== (then ?? '')) out[key] = now.trim();
      }
      if (Object.keys(out).length > 0) destinations[name] = out;
    };
    changed('freshdesk', {
      baseUrl: [f.fdUrl.value, dest.freshdesk?.baseUrl],
      apiKey: [f.fdKey.value, undefined],
    });
    const flexTouched = dest.twilioFlex !== null || f.flexAccount.value.trim() !== '';
    changed('twilioFlex', {
      accountSid: [f.flexAccount.value, dest.twilioFlex?.accountSid],
      workspaceSid: [f.flexWorkspace.value, dest.twilioFlex?.workspaceSid],
      ...(flexTouched ? { mediaEntry: [f.flexEntry.value, dest.twilioFlex?.mediaEntry] } : {}),
      authToken: [f.flexToken.value, undefined],
    });
    changed('webhook', {
      url: [f.webhookUrl.value, dest.webhook?.url],
      secret: [f.webhookSecret.value, undefined],
    });
    if (Object.keys(destinations).length > 0) update.destinations = destinations;

    return Object.keys(update).length > 0 ? (update as SettingsUpdate) : undefined;
  }
}

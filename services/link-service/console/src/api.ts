// The tenant API as the console uses it: the agent's calls (@uplink/links-panel's AgentApi) and
// the console's own (who it is, settings, keys). Every call carries the pasted API key, or, signed
// in with the identity provider, the browser's session cookie (same origin: fetch sends it).
import type {
  ApiKeyList,
  ApiKeyRole,
  ApiKeyView,
  AuditPage,
  AuditQuery,
  AuditVerification,
  CreatedApiKey,
  SettingsUpdate,
  SettingsView,
  Whoami,
} from '@uplink/contracts';
import { AgentApi } from '@uplink/links-panel';

export { ApiError, NetworkError, type Ticket } from '@uplink/links-panel';

export class Api extends AgentApi {
  /** The pasted API key: undefined when the session cookie signs the console in. */
  constructor(key: string | undefined) {
    super({ baseUrl: '', credential: () => key });
  }

  /** Who the credential signs in: its role decides which pages the console offers. */
  whoami(): Promise<Whoami> {
    return this.call('GET', '/v1/whoami');
  }

  settings(): Promise<SettingsView> {
    return this.call('GET', '/v1/settings');
  }

  saveSettings(update: SettingsUpdate): Promise<SettingsView> {
    return this.call('PUT', '/v1/settings', update);
  }

  async apiKeys(): Promise<ApiKeyView[]> {
    return (await this.call<ApiKeyList>('GET', '/v1/api-keys')).keys;
  }

  createApiKey(label: string, role: ApiKeyRole, expiresInDays: number | undefined): Promise<CreatedApiKey> {
    return this.call('POST', '/v1/api-keys', { label, role, ...(expiresInDays ? { expiresInDays } : {}) });
  }

  /** A page of the audit log, newest first (admins only). */
  audit(query: AuditQuery): Promise<AuditPage> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) params.set(name, String(value));
    return this.call('GET', `/v1/audit?${params}`);
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.call('GET', '/v1/audit/verify');
  }

  revokeApiKey(id: string): Promise<ApiKeyView> {
    return this.call('DELETE', `/v1/api-keys/${encodeURIComponent(id)}`);
  }
}

import { ErrorEnvelope, Settings, SettingsUpdate } from '@uplink/contracts';
import { type Clock, type HttpApp, notFound } from '@uplink/kit';
import type { TenantStore } from '@uplink/tenants';

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 404: ErrorEnvelope } as const;
const security = [{ apiKey: [] }];

export function settingsRoutes(app: HttpApp, deps: { tenants: TenantStore; clock: Clock }): void {
  app.get(
    '/v1/settings',
    {
      schema: {
        summary: "The tenant's settings",
        tags: ['settings'],
        security,
        response: { 200: Settings, ...errors },
      },
    },
    async (request) => {
      const settings = await deps.tenants.getSettings(request.tenantId);
      if (!settings) throw notFound('No settings for this tenant.');
      return settings;
    },
  );

  app.put(
    '/v1/settings',
    {
      schema: {
        summary: "Change the tenant's settings",
        description: 'Fields you leave out keep their current value.',
        tags: ['settings'],
        security,
        body: SettingsUpdate,
        response: { 200: Settings, ...errors },
      },
    },
    async (request) => {
      const settings = await deps.tenants.updateSettings(request.tenantId, request.body, deps.clock.now());
      if (!settings) throw notFound('No settings for this tenant.');
      return settings;
    },
  );
}

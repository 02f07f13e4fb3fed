import { ErrorEnvelope, SettingsUpdate, SettingsView } from '@uplink/contracts';
import { type Clock, type HttpApp, notFound } from '@uplink/kit';
import type { TenantStore } from '@uplink/store';
import type { DestinationStore } from '@uplink/tenants';

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 404: ErrorEnvelope, 503: ErrorEnvelope } as const;

export function settingsRoutes(
  app: HttpApp,
  deps: { tenants: TenantStore; destinations: DestinationStore; clock: Clock },
): void {
  const { tenants, destinations, clock } = deps;

  async function view(tenantId: string): Promise<SettingsView> {
    const [settings, destinationsView] = await Promise.all([
      tenants.getSettings(tenantId),
      destinations.view(tenantId),
    ]);
    if (!settings || !destinationsView) throw notFound('No settings for this tenant.');
    return { ...settings, destinations: destinationsView };
  }

  app.get(
    '/v1/settings',
    {
      config: { access: 'readSettings' },
      schema: {
        summary: "The tenant's settings",
        description:
          'Destination credentials are never returned; `apiKeySet` and the like say whether one is stored.',
        tags: ['settings'],
        response: { 200: SettingsView, ...errors },
      },
    },
    (request) => view(request.principal.tenantId),
  );

  app.put(
    '/v1/settings',
    {
      config: { access: 'admin' },
      schema: {
        summary: "Change the tenant's settings",
        description:
          'Fields you leave out keep their current value. Destination secrets (`apiKey`, `authToken`, `secret`) are write-only and stored encrypted; `null` removes a destination.',
        tags: ['settings'],
        body: SettingsUpdate,
        response: { 200: SettingsView, ...errors },
      },
    },
    async (request) => {
      const { destinations: destinationsUpdate, ...settingsUpdate } = request.body;
      const now = clock.now();
      // Destinations first: their checks (URLs, required fields) may refuse the whole request.
      if (destinationsUpdate) await destinations.update(request.principal.tenantId, destinationsUpdate, now);
      if (Object.keys(settingsUpdate).length > 0)
        await tenants.updateSettings(request.principal.tenantId, settingsUpdate, now);
      return view(request.principal.tenantId);
    },
  );
}

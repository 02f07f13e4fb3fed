import { ErrorEnvelope, SettingsUpdate, SettingsView } from '@uplink/contracts';
import { type Clock, type HttpApp, notFound } from '@uplink/kit';
import type { AuditRecorder, TenantStore } from '@uplink/store';
import type { DestinationStore } from '@uplink/tenants';

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 404: ErrorEnvelope, 503: ErrorEnvelope } as const;

/**
 * The dotted names of the fields an update sets (`mediaPolicy.audio.maxBytes`, `freshdesk.apiKey`;
 * a destination removed is its name): what the audit log records, never the values.
 */
export function fieldNames(update: object, prefix = ''): string[] {
  return Object.entries(update).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? fieldNames(value, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

export function settingsRoutes(
  app: HttpApp,
  deps: { tenants: TenantStore; destinations: DestinationStore; audit: AuditRecorder; clock: Clock },
): void {
  const { tenants, destinations, audit, clock } = deps;

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
      const { tenantId, actor } = request.principal;
      const now = clock.now();
      // Destinations first: their checks (URLs, required fields) may refuse the whole request.
      if (destinationsUpdate) {
        await destinations.update(tenantId, destinationsUpdate, now);
        await audit.record(tenantId, 'destinations.changed', actor, {
          details: { fields: fieldNames(destinationsUpdate) },
        });
      }
      if (Object.keys(settingsUpdate).length > 0) {
        await tenants.updateSettings(tenantId, settingsUpdate, now);
        await audit.record(tenantId, 'settings.changed', actor, {
          details: { fields: fieldNames(settingsUpdate) },
        });
      }
      return view(tenantId);
    },
  );
}

import { Whoami } from '@uplink/contracts';
import type { HttpApp } from '@uplink/kit';

/**
 * Who the request's credential is: the console asks once it is signed in (with a pasted API key
 * or the session cookie, which its script cannot see) and shows only what that role may use.
 */
export function whoamiRoutes(app: HttpApp): void {
  app.get(
    '/v1/whoami',
    {
      config: { access: 'whoami' },
      schema: {
        summary: 'Who the credential is',
        description:
          "The tenant, the role (`admin`, `integration` or `agent`) and the actor (an agent, or an API key by its prefix and label) the request's credential acts as: what links record as their creator.",
        tags: ['access'],
        response: { 200: Whoami },
      },
    },
    async (request): Promise<Whoami> => {
      const { tenantId, role, actor } = request.principal;
      return { tenantId, role, actor };
    },
  );
}

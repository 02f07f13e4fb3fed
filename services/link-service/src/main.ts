import { loadConfig, runService } from '@uplink/kit';
import { AzureBlobStore, hasAzureStorage } from '@uplink/storage';
import { connectProduction } from '@uplink/store/production';
import { buildLinkService } from './app.ts';
import { LinkServiceChecks, LinkServiceEnv } from './env.ts';

await runService({
  name: 'link-service',
  config: (env) => loadConfig(LinkServiceEnv, env, LinkServiceChecks),
  connect: connectProduction,
  build: async (deps) =>
    buildLinkService({
      ...deps,
      // The console's previews read the uploads container when one is configured.
      ...(hasAzureStorage(deps.config) ? { storage: await AzureBlobStore.fromConfig(deps.config) } : {}),
    }),
});

import { loadConfig, runService } from '@uplink/kit';
import { connectProduction } from '@uplink/store/production';
import { buildLinkService } from './app.ts';
import { LinkServiceChecks, LinkServiceEnv } from './env.ts';

await runService({
  name: 'link-service',
  config: (env) => loadConfig(LinkServiceEnv, env, LinkServiceChecks),
  connect: connectProduction,
  build: (deps) => buildLinkService(deps),
});

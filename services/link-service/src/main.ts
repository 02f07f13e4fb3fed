import { loadConfig, runService } from '@uplink/kit';
import { buildLinkService } from './app.ts';
import { LinkServiceEnv } from './env.ts';

await runService({
  name: 'link-service',
  config: (env) => loadConfig(LinkServiceEnv, env),
  build: (deps) => buildLinkService(deps),
});

import { loadConfig, runService } from '@uplink/kit';
import { buildExpiryScheduler } from './app.ts';
import { ExpirySchedulerEnv } from './env.ts';

await runService({
  name: 'expiry-scheduler',
  config: (env) => loadConfig(ExpirySchedulerEnv, env),
  build: (deps) => buildExpiryScheduler(deps),
});

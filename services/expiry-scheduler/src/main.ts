import { loadConfig, runService } from '@uplink/kit';
import { connectProduction } from '@uplink/store/production';
import { buildExpiryScheduler } from './app.ts';
import { ExpirySchedulerEnv } from './env.ts';

await runService({
  name: 'expiry-scheduler',
  config: (env) => loadConfig(ExpirySchedulerEnv, env),
  connect: connectProduction,
  build: (deps) => buildExpiryScheduler(deps),
});

import { loadConfig, runService } from '@uplink/kit';
import { connectProduction } from '@uplink/session-store/production';
import { buildUploadGateway } from './app.ts';
import { UploadGatewayEnv } from './env.ts';

await runService({
  name: 'upload-gateway',
  config: (env) => loadConfig(UploadGatewayEnv, env),
  connect: connectProduction,
  build: (deps) => buildUploadGateway(deps),
});

import { loadConfig, runService } from '@uplink/kit';
import { buildUploadGateway } from './app.ts';
import { UploadGatewayEnv } from './env.ts';

await runService({
  name: 'upload-gateway',
  config: (env) => loadConfig(UploadGatewayEnv, env),
  build: (deps) => buildUploadGateway(deps),
});

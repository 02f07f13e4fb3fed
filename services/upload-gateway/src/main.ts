import { loadConfig, runService } from '@uplink/kit';
import { AzureBlobStore } from '@uplink/storage';
import { connectProduction } from '@uplink/store/production';
import { buildUploadGateway } from './app.ts';
import { UploadGatewayChecks, UploadGatewayEnv } from './env.ts';

await runService({
  name: 'upload-gateway',
  config: (env) => loadConfig(UploadGatewayEnv, env, UploadGatewayChecks),
  connect: connectProduction,
  build: async (deps) =>
    buildUploadGateway({ ...deps, storage: await AzureBlobStore.fromConfig(deps.config) }),
});

import { loadConfig, runService } from '@uplink/kit';
import { AzureBlobStore } from '@uplink/storage';
import { connectProduction } from '@uplink/store/production';
import { buildNoteRelay } from './app.ts';
import { NoteRelayChecks, NoteRelayEnv } from './env.ts';

await runService({
  name: 'note-relay',
  config: (env) => loadConfig(NoteRelayEnv, env, NoteRelayChecks),
  connect: connectProduction,
  build: async (deps) => buildNoteRelay({ ...deps, storage: await AzureBlobStore.fromConfig(deps.config) }),
});

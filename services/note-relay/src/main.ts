import { loadConfig, runService } from '@uplink/kit';
import { connectProduction } from '@uplink/store/production';
import { buildNoteRelay } from './app.ts';
import { NoteRelayChecks, NoteRelayEnv } from './env.ts';

await runService({
  name: 'note-relay',
  config: (env) => loadConfig(NoteRelayEnv, env, NoteRelayChecks),
  connect: connectProduction,
  build: (deps) => buildNoteRelay(deps),
});

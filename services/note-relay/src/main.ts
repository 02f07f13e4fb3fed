import { loadConfig, runService } from '@uplink/kit';
import { buildNoteRelay } from './app.ts';
import { NoteRelayEnv } from './env.ts';

await runService({
  name: 'note-relay',
  config: (env) => loadConfig(NoteRelayEnv, env),
  build: (deps) => buildNoteRelay(deps),
});

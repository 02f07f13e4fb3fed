import { join } from 'node:path';
import { connectMongo } from '@uplink/kit';
import { MongoSessionStore } from './mongo-session-store.ts';
import { preparedStore, type SessionStore } from './session-store.ts';
import { SqliteSessionStore } from './sqlite/index.ts';

/** The SQLite file of the embedded store inside a data folder. */
export const SESSIONS_FILE = 'sessions.sqlite';

/**
 * The session store the environment names: MongoDB when `MONGODB_URI` is set, else the
 * embedded SQLite store in `dataDir` (what `npm start` uses). Prepared (indexes, schema).
 */
export async function openSessionStore(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  appName: string,
): Promise<SessionStore> {
  return preparedStore(
    env.MONGODB_URI
      ? new MongoSessionStore(await connectMongo(env.MONGODB_URI, env.MONGODB_DB || 'uplink', appName))
      : new SqliteSessionStore(join(dataDir, SESSIONS_FILE)),
  );
}

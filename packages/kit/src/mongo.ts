import { createRequire } from 'node:module';
import type * as MongoDriver from 'mongodb';
import type { Db, MongoClient, MongoClientOptions } from 'mongodb';

export type Mongo = { client: MongoClient; db: Db };

const require = createRequire(import.meta.url);

/**
 * The MongoDB driver, loaded on first use rather than with the kit: the embedded default
 * (`npm start`) never talks to MongoDB and is spared its start-up time and memory. The driver is
 * CommonJS, so this is the same module instance an `import` of it gets.
 */
function driver(): typeof MongoDriver {
  return require('mongodb') as typeof MongoDriver;
}

export async function connectMongo(
  uri: string,
  dbName: string,
  appName: string,
  options: MongoClientOptions = {},
): Promise<Mongo> {
  const client = new (driver().MongoClient)(uri, {
    appName,
    // A request should fail fast with 503 rather than hang while the database is away.
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    ...options,
  });
  await client.connect();
  return { client, db: client.db(dbName) };
}

export async function pingMongo(db: Db): Promise<void> {
  await db.command({ ping: 1 });
}

/** Only the driver makes its errors: anything else is answered without loading it. */
function isDriverError(err: unknown): err is Error {
  return err instanceof Error && err.name.startsWith('Mongo');
}

/** Errors that mean "the database is unreachable right now", as opposed to a bad query. */
export function isMongoUnavailable(err: unknown): boolean {
  if (!isDriverError(err)) return false;
  const mongodb = driver();
  return (
    err instanceof mongodb.MongoServerSelectionError ||
    err instanceof mongodb.MongoNetworkError ||
    err instanceof mongodb.MongoNotConnectedError ||
    err instanceof mongodb.MongoTopologyClosedError
  );
}

/** A write refused by a unique index: the document (or one with the same key) is already there. */
export function isDuplicateKeyError(err: unknown): boolean {
  return isDriverError(err) && err instanceof driver().MongoServerError && err.code === 11000;
}

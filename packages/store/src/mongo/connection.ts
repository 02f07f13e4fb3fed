// The MongoDB driver's connection and error classification. Only the mongo adapters and the
// production composition root import this folder (`@uplink/store/mongo`), so the one-process
// default, which picks SQLite, never loads the driver.
import {
  type Db,
  MongoClient,
  type MongoClientOptions,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

export type Mongo = { client: MongoClient; db: Db };

export async function connectMongo(
  uri: string,
  dbName: string,
  appName: string,
  options: MongoClientOptions = {},
): Promise<Mongo> {
  const client = new MongoClient(uri, {
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

/** Errors that mean "the database is unreachable right now", as opposed to a bad query. */
export function isMongoUnavailable(err: unknown): boolean {
  return (
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  );
}

/** A write refused by a unique index: the document (or one with the same key) is already there. */
export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

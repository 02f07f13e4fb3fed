// Vitest globalSetup: one Mongo-wire server and one Azurite shared by every test file of a run,
// handed to tests with inject('mongoUri') / inject('azurite'). FerretDB (when it is the Mongo
// server) runs on the backend UPLINK_FERRETDB_BACKEND names: 'sqlite' (default) or 'postgresql'. NATS is not started here: tests
// stop and restart it, so each test file starts its own with startNats().
import type { TestProject } from 'vitest/node';
import { type AzuriteConnection, type AzuriteServer, startAzurite } from './azurite.ts';
import { ensureBinaries } from './ensure-binaries.ts';
import { log } from './log.ts';
import { type MongoServer, startMongo } from './mongo.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    mongoKind: 'external' | 'mongod' | 'ferretdb';
    azurite: {
      blobEndpoint: string;
      connectionString: string;
      accountName: 'devstoreaccount1';
      accountKey: string;
    };
  }
}

export default async function setup(project: Pick<TestProject, 'provide'>): Promise<() => Promise<void>> {
  await ensureBinaries();
  const started = Date.now();
  const [mongo, azurite] = await Promise.allSettled([startMongo(), startAzurite()]);
  const servers = [mongo, azurite].flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const teardown = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  if (mongo.status === 'rejected' || azurite.status === 'rejected') {
    await teardown();
    const errors = [mongo, azurite].flatMap((result) =>
      result.status === 'rejected' ? [result.reason] : [],
    );
    throw errors.length === 1
      ? errors[0]
      : new AggregateError(errors, 'Mongo and Azurite both failed to start');
  }

  const { uri, kind, backend }: MongoServer = mongo.value;
  const { blobEndpoint, connectionString, accountName, accountKey }: AzuriteServer = azurite.value;
  const connection: AzuriteConnection = { blobEndpoint, connectionString, accountName, accountKey };
  project.provide('mongoUri', uri);
  project.provide('mongoKind', kind);
  project.provide('azurite', connection);
  log(
    `mongo (${kind}${backend ? ` on ${backend}` : ''}) at ${uri} and azurite at ${blobEndpoint} up in ${Date.now() - started} ms`,
  );
  return teardown;
}

// `npm run tenant -- create --name "Acme"`: the tenant commands on npm start's data, found the
// way npm start finds it (the data folder, UPLINK_DATA_DIR or .uplink/; MongoDB when
// MONGODB_URI is set). Safe while npm start runs: the SQLite store takes each write's lock.
import { DataFolder, dataDirFrom, openStore } from '@uplink/embedded';
import { systemClock } from '@uplink/kit';
import { runTenantCommand } from '@uplink/link-service/tenant-commands';

const store = await openStore(process.env, new DataFolder(dataDirFrom(process.env)), 'uplink-cli');
try {
  process.exitCode = await runTenantCommand(process.argv.slice(2), store, systemClock);
} finally {
  await store.close();
}

// `npm run audit -- verify --tenant ten_...`: the audit commands on npm start's data, found the
// way npm start finds it (the data folder, UPLINK_DATA_DIR or .uplink/; MongoDB when MONGODB_URI
// is set), as `npm run tenant` does. Only reads, so it is safe while npm start runs.
import { DataFolder, dataDirFrom, openStore } from '@uplink/embedded';
import { runAuditCommand } from '@uplink/link-service/audit-commands';

const store = await openStore(process.env, new DataFolder(dataDirFrom(process.env)), 'uplink-cli');
try {
  process.exitCode = await runAuditCommand(process.argv.slice(2), store.audit);
} finally {
  await store.close();
}

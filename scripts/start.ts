// `npm start`: all of Uplink in this one process, ready to try. The four services share an
// embedded session store and event bus (SQLite files) and Azurite's blob service, all kept in
// the data folder (.uplink/, or UPLINK_DATA_DIR), so a restart keeps every link. Set
// MONGODB_URI, NATS_URL or AZURE_STORAGE_CONNECTION_STRING to use those instead. Ctrl-C stops
// it gracefully. Each service also runs alone: node services/<name>/src/main.ts.
import { dataDirFrom, startUplink } from '@uplink/embedded';
import { onSignals } from '@uplink/kit';

const uplink = await startUplink({ env: process.env, dataDir: dataDirFrom(process.env) }).catch(
  (err: NodeJS.ErrnoException) => {
    const hint =
      err.code === 'EADDRINUSE'
        ? '\nAnother program uses that port: stop it, or choose others with LINK_SERVICE_PORT, ' +
          'UPLOAD_GATEWAY_PORT, NOTE_RELAY_PORT, EXPIRY_SCHEDULER_PORT and AZURITE_BLOB_PORT.'
        : '';
    process.stderr.write(`Uplink could not start: ${err.message}${hint}\n`);
    process.exit(1);
  },
);
onSignals(uplink.stop, uplink.logger);

const { urls, apiKey, infrastructure } = uplink;
process.stdout.write(`
Uplink is ready.
  Console       ${urls.console}   (sign in with the demo API key)
  Demo API key  ${apiKey}
  API           ${urls.api}   (OpenAPI UI: ${urls.docs})
  Upload pages  ${urls.uploads}<token>
  Data          ${uplink.dataDir}
    sessions    ${infrastructure.sessions}
    events      ${infrastructure.events}
    blobs       ${infrastructure.blobs}

Try it: open the console, pick a ticket, "Request a file", open the link in another tab.
`);

import { type Static, Type } from 'typebox';

/**
 * What `npm start` reads besides the services' own variables (it passes those to all four, see
 * run-uplink.ts): where each service listens, and where the data folder is.
 */
export const NpmStartEnv = Type.Object({
  LINK_SERVICE_PORT: listenPort(8080, "link-service's HTTP port (the console and the API)."),
  UPLOAD_GATEWAY_PORT: listenPort(8081, "upload-gateway's HTTP port (the customers' upload pages)."),
  NOTE_RELAY_PORT: listenPort(8082, "note-relay's HTTP port (its probes)."),
  EXPIRY_SCHEDULER_PORT: listenPort(8083, "expiry-scheduler's HTTP port (its probes)."),
  AZURITE_BLOB_PORT: listenPort(
    10000,
    "The in-process Azurite's blob port (when `AZURE_STORAGE_CONNECTION_STRING` is unset).",
  ),
  UPLINK_DATA_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'The data folder: `sessions.sqlite`, `events.sqlite`, `blobs/`, `demo-api-key` and `secret-keys`; `.uplink/` in the repository when unset.',
    }),
  ),
});
export type NpmStartConfig = Static<typeof NpmStartEnv>;

function listenPort(defaultPort: number, description: string) {
  return Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort, description });
}

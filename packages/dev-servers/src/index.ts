export {
  AZURITE_ACCOUNT_KEY,
  AZURITE_ACCOUNT_NAME,
  type AzuriteConnection,
  type AzuriteServer,
  type StartAzuriteOptions,
  startAzurite,
} from './azurite.ts';
export { type StartAzuriteInProcessOptions, startAzuriteInProcess } from './azurite-in-process.ts';
export {
  ensureFerretDb,
  ensureHelm,
  ensureNatsServer,
  ensurePostgres,
  FERRETDB_VERSION,
  type FerretDbBackend,
  ferretDbBackendFromEnv,
  HELM_VERSION,
  NATS_SERVER_VERSION,
  type PostgresBinaries,
  run,
  toolsDir,
} from './binaries.ts';
export {
  type CheckedPage,
  cspViolations,
  PAGE_PROBE,
  SCREENSHOT_DIR,
  screenshot,
  seriousAxeViolations,
} from './browser-checks.ts';
export {
  canConnect,
  httpStatus,
  type ManagedProcess,
  type StartProcessOptions,
  startProcess,
} from './child-process.ts';
export {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  CHROMIUM_PHONE,
  type ChromiumLauncher,
  ensureChromium,
  launchChromium,
} from './chromium.ts';
export {
  CLAMD_PATH,
  type ClamdServer,
  EICAR_TEST_FILE,
  ensureClamd,
  type StartClamdOptions,
  startClamd,
  TEST_MALWARE_MARKER,
  TEST_SIGNATURES,
  testSignatureDatabase,
} from './clamd.ts';
export { type EnsuredBinaries, ensureBinaries } from './ensure-binaries.ts';
export {
  ensureFirefox,
  FIREFOX_PATH,
  FIREFOX_PREFS,
  type FirefoxLauncher,
  type LaunchFirefoxOptions,
  launchFirefox,
} from './firefox.ts';
export {
  openPreview,
  openTicketInConsole,
  playerDuration,
  recordVoiceMessage,
  requestFileInConsole,
  sendVoiceMessage,
} from './flow-steps.ts';
export { type MongoServer, mongoPings, type StartMongoOptions, startMongo } from './mongo.ts';
export { type NatsServer, type StartNatsOptions, startNats } from './nats.ts';
export { freePort } from './ports.ts';
export { type PostgresServer, type StartPostgresOptions, startPostgres } from './postgres.ts';
export { ensureSchemathesis, SCHEMATHESIS_VERSION } from './schemathesis.ts';
export {
  ensureWebKit,
  MINIBROWSER_PATH,
  startWebKitDriver,
  WEBKIT_CAPABILITIES,
  WEBKIT_DRIVER_PATH,
  type WebKitDriver,
} from './webkit.ts';
export { startVirtualDisplay, type VirtualDisplay } from './xvfb.ts';

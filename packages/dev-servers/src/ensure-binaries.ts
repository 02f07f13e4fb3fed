import {
  ensureFerretDb,
  ensureHelm,
  ensureNatsServer,
  ensurePostgres,
  ferretDbBackendFromEnv,
  needsFerretDb,
  toolsDir,
} from './binaries.ts';
import { ensureChromium } from './chromium.ts';
import { ensureClamd } from './clamd.ts';
import { ensureFirefox } from './firefox.ts';
import { log } from './log.ts';
import { ensureSchemathesis } from './schemathesis.ts';
import { ensureWebKit } from './webkit.ts';

export interface EnsuredBinaries {
  natsServer: string;
  /** null when startMongo() will not use FerretDB (MONGODB_URI is set or mongod is on PATH). */
  ferretDb: string | null;
  /**
   * Directory of the PostgreSQL server programs; null unless startMongo() will run FerretDB on
   * the backend UPLINK_FERRETDB_BACKEND names and that backend is 'postgresql'.
   */
  postgres: string | null;
  /** Headless Chromium for the browser tests; null when not asked for. */
  chromium: string | null;
  /** Firefox ESR for the engine tests; null when not asked for. */
  firefox: string | null;
  /** WebKitWebDriver (with MiniBrowser and Xvfb) for the engine tests; null when not asked for. */
  webkit: string | null;
  /** clamd, for the malware-scanning tests; null when not asked for. */
  clamd: string | null;
  /** helm, for the chart tests under charts/; null when not asked for. */
  helm: string | null;
  /** schemathesis, for the API fuzz tests under tests/api-fuzz; null when not asked for. */
  schemathesis: string | null;
}

/**
 * Makes sure every server binary is present before tests start, so that slow installs never run
 * inside a test's timeout. FerretDB is only built when startMongo() would actually use it, and
 * PostgreSQL only installed when UPLINK_FERRETDB_BACKEND=postgresql asks FerretDB to use it.
 * Chromium (for the browser tests) is ensured unless `chromium: false`, Firefox ESR and
 * WebKitGTK's driver with Xvfb (for the engine tests; Debian's packages, about a minute the first
 * time) unless `firefox: false` and `webkit: false`, clamd (for the malware-scanning tests; Debian's
 * clamav-daemon, about a minute the first time) unless `clamd: false`, helm (for the chart tests;
 * built with Go the first time, a few minutes) unless `helm: false`, schemathesis (for the API
 * fuzz tests; from PyPI the first time, about a minute) unless `schemathesis: false`.
 */
export async function ensureBinaries(
  options: {
    chromium?: boolean;
    firefox?: boolean;
    webkit?: boolean;
    clamd?: boolean;
    helm?: boolean;
    schemathesis?: boolean;
  } = {},
): Promise<EnsuredBinaries> {
  log(`checking server binaries (tools dir ${toolsDir()})`);
  const ferretDbNeeded = needsFerretDb();
  // apt-get installs one after another (they share dpkg's lock), so the browsers and clamd go in turn.
  const aptPackages = (async () => ({
    chromium: options.chromium === false ? null : await ensureChromium(),
    firefox: options.firefox === false ? null : await ensureFirefox(),
    webkit: options.webkit === false ? null : await ensureWebKit(),
    clamd: options.clamd === false ? null : await ensureClamd(),
  }))();
  const [natsServer, ferretDb, postgres, { chromium, firefox, webkit, clamd }, helm, schemathesis] =
    await Promise.all([
      ensureNatsServer(),
      ferretDbNeeded.then((needed) => (needed ? ensureFerretDb() : null)),
      ferretDbNeeded.then((needed) =>
        needed && ferretDbBackendFromEnv() === 'postgresql' ? ensurePostgres().then((pg) => pg.binDir) : null,
      ),
      aptPackages,
      options.helm === false ? null : ensureHelm(),
      options.schemathesis === false ? null : ensureSchemathesis(),
    ]);
  log(`nats-server: ${natsServer}`);
  log(
    ferretDb
      ? `ferretdb: ${ferretDb}`
      : `ferretdb: not needed (${process.env.MONGODB_URI ? 'MONGODB_URI is set' : 'mongod is on PATH'})`,
  );
  if (postgres) log(`postgresql (FerretDB backend): ${postgres}`);
  if (chromium) log(`chromium: ${chromium}`);
  if (firefox) log(`firefox: ${firefox}`);
  if (webkit) log(`webkit: ${webkit}`);
  if (clamd) log(`clamd: ${clamd}`);
  if (helm) log(`helm: ${helm}`);
  if (schemathesis) log(`schemathesis: ${schemathesis}`);
  return { natsServer, ferretDb, postgres, chromium, firefox, webkit, clamd, helm, schemathesis };
}

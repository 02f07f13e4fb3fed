// ClamAV's scanning daemon for the malware-scanning tests: Debian's `clamav-daemon` package, run on
// loopback with a signature database the caller writes (freshclam cannot reach its mirrors here,
// and clamd refuses to start without a database).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aptGetInstall, isExecutable, once } from './binaries.ts';
import { canConnect, createTempDir, restartableProcess } from './child-process.ts';
import { log } from './log.ts';
import { freePort } from './ports.ts';

/** Where Debian's `clamav-daemon` package puts clamd. */
export const CLAMD_PATH = '/usr/sbin/clamd';

const clamdInstallHint = (): string =>
  `Install ClamAV's daemon as root, e.g. 'apt-get install -y clamav-daemon' on Debian (${CLAMD_PATH}).`;

/** Path to clamd, installing Debian's `clamav-daemon` when it is missing and we are root. */
export function ensureClamd(): Promise<string> {
  return once('clamd', async () => {
    if (await isExecutable(CLAMD_PATH)) return CLAMD_PATH;
    await aptGetInstall('clamav-daemon', {
      missing: `clamd is not installed (looked for ${CLAMD_PATH})`,
      duration: 'about a minute',
      hint: clamdInstallHint,
    });
    if (!(await isExecutable(CLAMD_PATH))) {
      throw new Error(
        `'apt-get install -y clamav-daemon' succeeded, but there is no ${CLAMD_PATH}.\n${clamdInstallHint()}`,
      );
    }
    log(`clamd: ${CLAMD_PATH}`);
    return CLAMD_PATH;
  });
}

/**
 * The EICAR test file, which every scanner detects by agreement and which does no harm. Assembled
 * here rather than written out, so no scanner flags this source file.
 */
export const EICAR_TEST_FILE = [
  'X5O!P%@AP[4\\PZX54(P^)7CC)7}$',
  'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*',
].join('');

/** Bytes the tests' own signature matches anywhere in a file, so any file type can carry it. */
export const TEST_MALWARE_MARKER = 'UPLINK-TEST-MALWARE-SAMPLE';

/** The names clamd reports for the test database's two signatures. */
export const TEST_SIGNATURES = {
  eicar: 'Eicar-Test-Signature.UNOFFICIAL',
  marker: 'Uplink-Test-Marker.UNOFFICIAL',
} as const;

/**
 * The tests' signature database: EICAR by its hash (`md5:size:name`, as ClamAV's own database
 * has it) and the marker as a body signature (`name:any file type:anywhere:hex`).
 */
export function testSignatureDatabase(): Record<string, string> {
  const eicarMd5 = createHash('md5').update(EICAR_TEST_FILE).digest('hex');
  const markerHex = Buffer.from(TEST_MALWARE_MARKER).toString('hex');
  return {
    'test.hdb': `${eicarMd5}:${EICAR_TEST_FILE.length}:Eicar-Test-Signature\n`,
    'test.ndb': `Uplink-Test-Marker:0:*:${markerHex}\n`,
  };
}

export interface ClamdServer {
  /** tcp://127.0.0.1:<port> */
  url: string;
  /** unix://<socket path>: the same clamd over its Unix socket. */
  socketUrl: string;
  port: number;
  /** Stops clamd; its port, socket path and database stay for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port (no-op while it runs). */
  start(): Promise<void>;
}

export interface StartClamdOptions {
  /**
   * The signature database: file name -> content, e.g. `{'test.hdb': '<md5>:<size>:<Name>\n'}`
   * (hash signatures) or `test.ndb` (body signatures, `Name:0:*:<hex>`). clamd reports their names
   * with `.UNOFFICIAL` appended. Default: testSignatureDatabase().
   */
  database?: Record<string, string>;
  /**
   * clamd's StreamMaxLength (and MaxFileSize, MaxScanSize, so nothing below it goes unscanned), in
   * clamd's notation (`25M`); default 25M.
   */
  streamMaxLength?: string;
}

/** clamd on 127.0.0.1 (TCP) and a Unix socket, ready once it accepts connections (about 3 s). */
export async function startClamd(options: StartClamdOptions = {}): Promise<ClamdServer> {
  const binary = await ensureClamd();
  const dir = await createTempDir('uplink-clamd-');
  const databaseDir = join(dir, 'db');
  await mkdir(databaseDir);
  for (const [name, content] of Object.entries(options.database ?? testSignatureDatabase())) {
    await writeFile(join(databaseDir, name), content);
  }
  const port = await freePort();
  const socketPath = join(dir, 'clamd.sock');
  const limit = options.streamMaxLength ?? '25M';
  const configFile = join(dir, 'clamd.conf');
  await writeFile(
    configFile,
    [
      `DatabaseDirectory ${databaseDir}`,
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `LocalSocket ${socketPath}`,
      'Foreground yes',
      `StreamMaxLength ${limit}`,
      `MaxFileSize ${limit}`,
      `MaxScanSize ${limit}`,
      '',
    ].join('\n'),
  );

  const { start, stop } = restartableProcess({
    name: 'clamd',
    command: binary,
    args: ['-c', configFile],
    logFile: join(dir, 'clamd.log'),
    // clamd binds its sockets only once its database is loaded.
    ready: () => canConnect(port),
  });

  await start();
  return { url: `tcp://127.0.0.1:${port}`, socketUrl: `unix://${socketPath}`, port, stop, start };
}

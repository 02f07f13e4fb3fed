import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { SecretBox } from '@uplink/kit';

/** Where `npm start` and `npm run tenant` keep their data: `UPLINK_DATA_DIR`, else `.uplink/` in the repository. */
export function dataDirFrom(env: NodeJS.ProcessEnv): string {
  return resolve(env.UPLINK_DATA_DIR ?? join(import.meta.dirname, '../../..', '.uplink'));
}

/**
 * The folder the one-process default keeps everything in: sessions and events (SQLite), blobs
 * (Azurite), and the two secrets it makes on first start. Owner-only, since it holds keys and
 * every customer's files: folders 0700, files 0600.
 */
export class DataFolder {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    // Process-wide, so that files libraries create later are owner-only as they are created:
    // SQLite's -wal and -shm, Azurite's metadata and extent files and folders.
    process.umask(0o077);
    mkdirSync(path, { recursive: true, mode: 0o700 });
    // A folder an older Uplink made, or one copied or unpacked, may be readable by everyone.
    restrictToOwner(path, true);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /**
   * Claims the folder for this process. The embedded event bus keeps consumer state in memory,
   * so two processes on one folder would hand out the same events twice: the second is refused.
   * A lock left by a process that is gone (killed, crashed) is taken over. Returns the release.
   */
  lock(): () => void {
    const file = this.file('uplink.pid');
    for (;;) {
      try {
        writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return () => rmSync(file, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(`another Uplink (pid ${holder}) is using the data folder ${this.path}`);
      }
      rmSync(file, { force: true });
    }
  }

  /** The demo tenant's key: `UPLINK_BOOTSTRAP_API_KEY`, else generated once and kept here. */
  demoApiKey(env: NodeJS.ProcessEnv): string {
    return env.UPLINK_BOOTSTRAP_API_KEY ?? this.#keep('demo-api-key', () => `upk_demo_${randomHex()}`);
  }

  /** The key that seals destination credentials: `UPLINK_SECRET_KEYS`, else made once and kept here. */
  secretKeys(env: NodeJS.ProcessEnv): string {
    return env.UPLINK_SECRET_KEYS ?? this.#keep('secret-keys', () => SecretBox.generateSpec('local1'));
  }

  #keep(name: string, make: () => string): string {
    const file = this.file(name);
    if (!existsSync(file)) writeFileSync(file, `${make()}\n`, { mode: 0o600, flag: 'wx' });
    return readFileSync(file, 'utf8').trim();
  }
}

/**
 * Folders 0700 and files 0600, from `path` down. Symbolic links are left alone: chmod would
 * follow them out of the folder.
 */
function restrictToOwner(path: string, isDirectory: boolean): void {
  const mode = isDirectory ? 0o700 : 0o600;
  if ((lstatSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
  if (!isDirectory) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (!entry.isSymbolicLink()) restrictToOwner(join(path, entry.name), entry.isDirectory());
  }
}

function randomHex(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

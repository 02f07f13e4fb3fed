// A journal for Azurite's LokiJS databases, so that what Azurite acknowledges is on disk before it
// answers, at a cost that does not grow with the data. LokiJS keeps a database in memory and saves
// it whole, as one JSON file (Azurite: every 5 seconds); saving it on every change costs time
// proportional to every blob kept. Here each change appends the changed document (or the id of
// a removed one) to a journal file, fdatasynced, and the store's calls resolve only once their
// changes are there; LokiJS's periodic save becomes the compaction that empties the journal.
import { type FileHandle, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A LokiJS document: its id and fields, as saved. */
type LokiDocument = { $loki: number } & Record<string, unknown>;

interface LokiCollection {
  readonly name: string;
  /** LokiJS emits synchronously unless this is set, and the journal needs the order of changes. */
  readonly asyncListeners: boolean;
  on(event: 'insert' | 'update' | 'delete', listener: (doc: LokiDocument | LokiDocument[]) => void): void;
  /** Rebuilds the binary (sorted) indices over `data`. */
  ensureAllIndexes(force: boolean): void;
}

/** The part of a LokiJS database (azurite's dependency `lokijs`) that the journal uses. */
interface LokiDatabase {
  readonly collections: ReadonlyArray<LokiCollection>;
  /** Writes a serialised database; LokiJS calls it right after serialising, in the same tick. */
  readonly persistenceAdapter: {
    saveDatabase(dbname: string, dbstring: string, callback: (err?: unknown) => void): void;
  } | null;
}

/** Azurite's blob metadata store and extent metadata store: each keeps a LokiJS database. */
export interface LokiMetadataStore {
  readonly db: LokiDatabase;
  init(): Promise<void>;
  close(): Promise<void>;
}

/** One line of the journal: a document as it now is, or the id of a removed one. */
type JournalRecord = { collection: string; put: LokiDocument } | { collection: string; remove: number };

/** A saved LokiJS database, as far as replaying a journal onto it goes. */
type SavedDatabase = {
  collections: { name: string; data: LokiDocument[]; idIndex?: number[] | null; maxId?: number }[];
};

/**
 * The journal files of the database saved at `dbPath`: `<dbPath>.journal-<generation>`. A save of
 * the database holds every change appended before it started, so the generation moves on when a
 * save starts and the older files are deleted once it is on disk.
 */
class Journal {
  readonly #dbPath: string;
  #generation = 0;
  readonly #files = new Map<number, Promise<FileHandle>>();
  #pending: string[] = [];
  #appended = 0;
  #written = 0;
  #writing: Promise<void> | undefined;
  /** The batch being written, to whichever file was current when it was taken. */
  #batch: Promise<void> | undefined;
  #failure: unknown;
  readonly #waiters: { upTo: number; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(dbPath: string) {
    this.#dbPath = dbPath;
  }

  /** How many records were appended so far: a caller compares it before and after its call. */
  get appended(): number {
    return this.#appended;
  }

  /** Serialises `record` at once (the document as it is now) and starts writing it. */
  append(record: JournalRecord): void {
    this.#pending.push(`${JSON.stringify(record)}\n`);
    this.#appended++;
    this.#startWriting();
  }

  /** Resolves once every record appended so far is written and fdatasynced. */
  durable(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const upTo = this.#appended;
    if (this.#written >= upTo) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.#waiters.push({ upTo, resolve, reject }));
  }

  #startWriting(): void {
    if (this.#writing || this.#failure !== undefined) return;
    this.#writing = this.#drain().finally(() => {
      this.#writing = undefined;
      // Appended after the last batch was taken, before this ran.
      if (this.#pending.length > 0) this.#startWriting();
    });
  }

  /** Writes what is pending, one write and one fdatasync per batch: concurrent changes share them. */
  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const lines = this.#pending;
        const generation = this.#generation;
        this.#pending = [];
        const upTo = this.#written + lines.length;
        this.#batch = this.#file(generation).then(async (file) => {
          await file.write(lines.join(''));
          await file.datasync();
        });
        await this.#batch;
        this.#written = upTo;
        for (const waiter of this.#waiters.filter((w) => w.upTo <= upTo)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    } catch (err) {
      // A change that cannot be written must not be acknowledged, now or later.
      this.#failure = err;
      for (const waiter of this.#waiters.splice(0)) waiter.reject(err);
    }
  }

  #file(generation: number): Promise<FileHandle> {
    let file = this.#files.get(generation);
    if (!file) {
      file = open(`${this.#dbPath}.journal-${generation}`, 'a', 0o600).then(async (handle) => {
        // A new file's name must survive a power loss as well as its contents.
        await syncFolder(dirname(this.#dbPath));
        return handle;
      });
      this.#files.set(generation, file);
    }
    return file;
  }

  /**
   * Called as a save of the database starts: records appended from now on go to a new file, and
   * the returned function deletes the older ones (call it once the save is on disk).
   */
  rotate(): () => Promise<void> {
    const saved = ++this.#generation;
    return async () => {
      // A batch taken before the rotation may still be on its way to an older file (what it
      // holds is in the save too); every later batch goes to a newer one.
      await this.#batch?.catch(() => {});
      for (const [generation, file] of this.#files) {
        if (generation >= saved) continue;
        this.#files.delete(generation);
        await (await file).close();
        await unlink(`${this.#dbPath}.journal-${generation}`);
      }
    };
  }

  async close(): Promise<void> {
    await this.#writing;
    for (const file of this.#files.values()) await (await file).close();
    this.#files.clear();
  }
}

/** fsyncs a folder: the names of the files created in it survive a power loss. */
export async function syncFolder(path: string): Promise<void> {
  const folder = await open(path, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Writes `contents` to `path` so that a crash or a power loss leaves the old file or the new one. */
async function writeFileDurably(path: string, contents: string): Promise<void> {
  const temporary = `${path}~`;
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.write(contents);
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncFolder(dirname(path));
}

/** The journal files left next to `dbPath`, oldest first. */
async function journalFiles(dbPath: string): Promise<string[]> {
  const prefix = `${basename(dbPath)}.journal-`;
  const names = (await readdir(dirname(dbPath))).filter(
    (name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)),
  );
  const generation = (name: string) => Number(name.slice(prefix.length));
  return names.sort((a, b) => generation(a) - generation(b)).map((name) => join(dirname(dbPath), name));
}

/**
 * Folds the journal files a crash left into the saved database, writes it back and deletes them,
 * so that LokiJS loads everything acknowledged before the crash. A record holds a document's whole
 * state, so replaying records the save already holds changes nothing. Answers whether there were any.
 */
async function replayJournal(dbPath: string): Promise<boolean> {
  const files = await journalFiles(dbPath);
  if (files.length === 0) return false;
  const saved = JSON.parse(await readFile(dbPath, 'utf8')) as SavedDatabase;
  const collections = new Map(
    saved.collections.map((collection) => [
      collection.name,
      { saved: collection, documents: new Map(collection.data.map((doc) => [doc.$loki, doc])) },
    ]),
  );
  for (const file of files) {
    const lines = (await readFile(file, 'utf8')).split('\n');
    for (const [index, line] of lines.entries()) {
      if (line === '') continue;
      let record: JournalRecord;
      try {
        record = JSON.parse(line) as JournalRecord;
      } catch (err) {
        // Only a power loss in the middle of the last write can cut a line, and that write was never acknowledged.
        if (index === lines.length - 1) break;
        throw new Error(`${file}: line ${index + 1} is not a journal record`, { cause: err });
      }
      const collection = collections.get(record.collection);
      if (!collection) throw new Error(`${file}: no collection ${record.collection} in ${dbPath}`);
      if ('put' in record) {
        collection.documents.set(record.put.$loki, record.put);
        collection.saved.maxId = Math.max(collection.saved.maxId ?? 0, record.put.$loki);
      } else {
        collection.documents.delete(record.remove);
      }
    }
  }
  for (const { saved: collection, documents } of collections.values()) {
    collection.data = [...documents.values()].sort((a, b) => a.$loki - b.$loki);
    collection.idIndex = null; // LokiJS rebuilds it from data
  }
  await writeFileDurably(dbPath, JSON.stringify(saved));
  for (const file of files) await unlink(file);
  return true;
}

/**
 * Makes every call of `store` that changed its database resolve only once the change is in the
 * journal on disk (written and fdatasynced), whatever the database's size. Azurite answers a
 * request after its store calls resolve, and its extent store fdatasyncs a blob's bytes before
 * their metadata is written, so a PUT, block list, copy or delete it acknowledged survives
 * `kill -9` and a power loss. At start the journal left by a crash is folded into the database
 * before LokiJS loads it; LokiJS's own saves (every 5 seconds when something changed, and at
 * close) are written durably and delete the journal files they make redundant.
 */
export function journalLokiStore(store: LokiMetadataStore, dbPath: string): void {
  const journal = new Journal(dbPath);
  const methods = store as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store))) {
    const method = methods[name];
    if (name === 'constructor' || name === 'init' || name === 'close' || typeof method !== 'function')
      continue;
    methods[name] = (...args: unknown[]): unknown => {
      const before = journal.appended;
      const result: unknown = method.apply(store, args);
      if (!(result instanceof Promise)) return result;
      // A concurrent call's change counts too: waiting for its write costs little and is never wrong.
      return result.then(async (value: unknown) => {
        if (journal.appended !== before) await journal.durable();
        return value;
      });
    };
  }

  const init = store.init.bind(store);
  store.init = async () => {
    const replayed = await replayJournal(dbPath);
    const adapter = store.db.persistenceAdapter;
    if (!adapter) throw new Error('azurite: its LokiJS database has no persistence adapter');
    adapter.saveDatabase = (_dbname, dbstring, callback) => {
      const deleteRedundantJournal = journal.rotate();
      writeFileDurably(dbPath, dbstring)
        .then(deleteRedundantJournal)
        .then(() => callback(), callback);
    };
    await init();
    // The collections exist only now: loaded from the file, or created.
    for (const collection of store.db.collections) {
      if (collection.asyncListeners) throw new Error('azurite: LokiJS emits its changes asynchronously');
      // The saved sorted indices describe the data before the replay.
      if (replayed) collection.ensureAllIndexes(true);
      const put = (changed: LokiDocument | LokiDocument[]) => {
        for (const doc of Array.isArray(changed) ? changed : [changed]) {
          journal.append({ collection: collection.name, put: doc });
        }
      };
      collection.on('insert', put);
      collection.on('update', put);
      collection.on('delete', (removed) => {
        for (const doc of Array.isArray(removed) ? removed : [removed]) {
          journal.append({ collection: collection.name, remove: doc.$loki });
        }
      });
    }
  };

  const close = store.close.bind(store);
  store.close = async () => {
    // LokiJS saves at close when something changed since its last save.
    await close();
    await journal.close();
  };
}

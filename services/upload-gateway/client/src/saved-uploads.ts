// Uploads the page keeps in IndexedDB while they run, so a page reopened after the tab was
// closed (a phone locks, a browser kills a tab) continues them: the file itself (a Blob, so a
// recording survives too), what was declared, the intent, and the message for the agent sent
// with it (the outbox takes no edits while it sends). Kept per link, under a hash of the
// link's path, so the token itself is not stored; several per link, one per file. Every call is
// best effort: without IndexedDB (some private modes) an upload simply cannot be continued.
import type { UploadIntent } from '@uplink/contracts';
import type { UploadMeta } from './upload.ts';

export type SavedUpload = {
  blob: Blob;
  meta: UploadMeta;
  intent: UploadIntent;
  savedAt: number;
  /** The customer's message for the agent, sent with the file's submission. */
  message?: string;
};

type Row = SavedUpload & { link: string; uploadId: string };

const DATABASE = 'uplink-uploads';
const STORE = 'uploads';
/** Storage drops uncommitted blocks after a week, and no link lives past a day: older rows are litter. */
const KEPT_MS = 2 * 24 * 60 * 60 * 1000;

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

let opened: Promise<IDBDatabase> | undefined;

function database(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () =>
      request.result.createObjectStore(STORE, { keyPath: ['link', 'uploadId'] });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function inStore<T>(mode: IDBTransactionMode, use: (store: IDBObjectStore) => Promise<T>): Promise<T> {
  const transaction = (await database()).transaction(STORE, mode);
  const finished = new Promise<void>((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
  // Both awaited together: a request that fails aborts the transaction, and neither rejection
  // may go unhandled (a page error in the engines that refuse, such as WebKitGTK's ephemeral one).
  const [result] = await Promise.all([use(transaction.objectStore(STORE)), finished]);
  return result;
}

/** The uploads of one link (its page's path, `/u/<token>`) that the page may continue. */
export class SavedUploads {
  /** The SHA-256 of the link's path, hex; undefined where the page cannot hash (no secure context). */
  private readonly key: Promise<string | undefined>;

  constructor(linkPath: string) {
    this.key = (async () => {
      const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(linkPath));
      return Array.from(new Uint8Array(hash), (byte) => byte.toString(16).padStart(2, '0')).join('');
    })().catch(() => undefined);
  }

  /** Keeps `saved` under its intent's upload id, replacing what was kept under that id. */
  async save(saved: SavedUpload): Promise<void> {
    try {
      const link = await this.key;
      if (link === undefined) return;
      const row: Row = { ...saved, link, uploadId: saved.intent.uploadId };
      await inStore('readwrite', (store) => done(store.put(row)));
    } catch {
      // Not kept: the upload goes on, it just cannot be continued after a reload.
    }
  }

  /** Forgets the upload: it was received, refused for good, or replaced by a new intent. */
  async forget(uploadId: string): Promise<void> {
    try {
      const link = await this.key;
      if (link !== undefined) await inStore('readwrite', (store) => done(store.delete([link, uploadId])));
    } catch {
      // Nothing kept, or nothing to do about it.
    }
  }

  /** This link's saved uploads, oldest first; rows of any link older than KEPT_MS are deleted. */
  async list(): Promise<SavedUpload[]> {
    try {
      const link = await this.key;
      if (link === undefined) return [];
      return await inStore('readwrite', async (store) => {
        const rows = (await done(store.getAll())) as Row[];
        const stale = rows.filter((row) => Date.now() - row.savedAt > KEPT_MS);
        await Promise.all(stale.map((row) => done(store.delete([row.link, row.uploadId]))));
        return rows
          .filter((row) => row.link === link && !stale.includes(row))
          .sort((a, b) => a.savedAt - b.savedAt)
          .map(({ blob, meta, intent, savedAt, message }) => ({
            blob,
            meta,
            intent,
            savedAt,
            ...(message !== undefined ? { message } : {}),
          }));
      });
    } catch {
      return [];
    }
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpApp, isSqliteBusy, openSqliteFile } from '@uplink/kit';
import { captureLogger } from '@uplink/testing';
import { MongoNetworkError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isMongoUnavailable } from '../src/mongo/connection.ts';

// The kit's error handler answers 503 for what the store says is "unavailable"; each adapter's
// classification is the store's, so it is tested here with both adapters' real errors.
describe('the unavailable mapping', () => {
  it("answers 503 for what the store classifies as unavailable: SQLite's SQLITE_BUSY, MongoDB's lost connection", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uplink-busy-'));
    const file = join(dir, 'busy.sqlite');
    const holder = openSqliteFile(file, { busyTimeoutMs: 0 });
    const waiter = openSqliteFile(file, { busyTimeoutMs: 0 });
    waiter.exec('CREATE TABLE IF NOT EXISTS t (x INTEGER)');
    holder.exec('BEGIN IMMEDIATE');
    const stores = {
      sqlite: { isUnavailable: isSqliteBusy, fail: () => waiter.exec('INSERT INTO t VALUES (1)') },
      mongodb: {
        isUnavailable: isMongoUnavailable,
        fail: () => {
          throw new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed');
        },
      },
    };
    try {
      for (const [kind, store] of Object.entries(stores)) {
        const app = createHttpApp({ logger: captureLogger().logger, isUnavailable: store.isUnavailable });
        app.get('/busy', async () => store.fail());
        app.get('/broken', async () => {
          throw new Error('a bug');
        });
        const busy = await app.inject({ url: '/busy' });
        expect(busy.statusCode, kind).toBe(503);
        expect(busy.json()).toEqual({
          error: {
            code: 'unavailable',
            message: 'The service is temporarily unavailable; try again shortly.',
          },
        });
        expect((await app.inject({ url: '/broken' })).statusCode, kind).toBe(500);
        await app.close();
      }
      // The other kind's errors mean nothing to a store: a bare 500.
      const app = createHttpApp({ logger: captureLogger().logger, isUnavailable: isMongoUnavailable });
      app.get('/busy', async () => stores.sqlite.fail());
      expect((await app.inject({ url: '/busy' })).statusCode).toBe(500);
      await app.close();
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
      waiter.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

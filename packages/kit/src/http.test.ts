import { captureLogger } from '@uplink/testing';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './http.ts';

describe('the error handler', () => {
  it("never passes on another library's status and message", async () => {
    const { logger, lines } = captureLogger();
    const app = createHttpApp({ logger });
    app.get('/foreign', async () => {
      // As an SDK's error looks: a status of its own and a message about its own internals.
      throw Object.assign(new Error('quota exceeded for project p-4711 on host db-3.internal'), {
        name: 'SdkError',
        statusCode: 409,
        code: 'QuotaExceeded',
      });
    });
    app.get('/storage', async () => {
      throw Object.assign(new Error('BlobAlreadyExists: account devstoreaccount1 container x'), {
        name: 'RestError',
        statusCode: 409,
        code: 'BlobAlreadyExists',
      });
    });
    app.post('/echo', async (request) => request.body);
    const foreign = await app.inject({ url: '/foreign' });
    expect(foreign.statusCode).toBe(500);
    expect(foreign.json()).toEqual({
      error: { code: 'internal', message: 'Something went wrong on our side.' },
    });
    expect(lines.some((line) => line.msg === 'request failed')).toBe(true);
    // Blob storage's refusals are about our storage: Uplink's own 503, never Azure's words.
    const storage = await app.inject({ url: '/storage' });
    expect(storage.statusCode).toBe(503);
    expect(storage.json()).toEqual({
      error: { code: 'unavailable', message: 'File storage is unavailable; try again shortly.' },
    });

    // Fastify's own refusals are meant for the client: they keep their status.
    const notJson = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const tooLarge = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ a: 'x'.repeat(100_000) }),
    });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    for (const res of [foreign, notJson, tooLarge])
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    await app.close();
  });
});

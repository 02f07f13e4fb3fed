// The customer's page when its per-address budget is spent: a page to read in the customer's
// language, with the page's security headers and Retry-After, instead of the API's JSON.
import type { ErrorEnvelope } from '@uplink/contracts';
import { createHttpApp, systemClock } from '@uplink/kit';
import { isMongoUnavailable, MongoLinkStore, MongoTenantStore } from '@uplink/store/mongo';
import { captureLogger } from '@uplink/testing';
import { uploadGatewayHarness } from '@uplink/testing/upload-gateway';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { en } from '../src/page/messages/en.ts';
import { registerRateLimits } from '../src/rate-limits.ts';
import { uploadPageRoutes } from '../src/routes/upload-page.ts';

describe('the upload page when rate-limited', () => {
  it('answers 429 with a page in the customer language, the page headers and Retry-After', async () => {
    const gateway = await uploadGatewayHarness({ ratePerMinute: 2 });
    const { url, token } = await gateway.createLink();
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await fetch(url);
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    const english = await fetch(url, { headers: { 'accept-language': 'en-GB,en;q=0.9' } });
    const german = await fetch(url, { headers: { 'accept-language': 'de-DE,de;q=0.9' } });
    const head = await fetch(url, { method: 'HEAD' });
    statuses.push(english.status, german.status, head.status);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);

    for (const response of [english, german, head]) {
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-robots-tag')).toBe('noindex, nofollow');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const englishPage = await english.text();
    expect(englishPage).toContain('<html lang="en">');
    expect(englishPage).toContain('<h1 id="rate-limited-heading">Too many attempts</h1>');
    expect(englishPage).toContain('Please wait a minute, then reload it.');
    const germanPage = await german.text();
    expect(germanPage).toContain('<html lang="de">');
    expect(germanPage).toContain('<h1 id="rate-limited-heading">Zu viele Versuche</h1>');
    expect(germanPage).toContain('Bitte warten Sie eine Minute und laden Sie sie dann neu.');
    expect(await head.text()).toBe('');

    // The API the page calls shares the budget and keeps its JSON envelope.
    const api = await fetch(`${gateway.baseUrl}/u/${token}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(api.status).toBe(429);
    expect(((await api.json()) as ErrorEnvelope).error.code).toBe('rate_limited');
  }, 30_000);

  it('leaves every other error of the page route to the app error handler', async () => {
    // A database nobody listens on: the link lookup fails as it does when MongoDB is down.
    const mongo = new MongoClient('mongodb://127.0.0.1:9/', {
      serverSelectionTimeoutMS: 200,
      connectTimeoutMS: 200,
    });
    // Classified as the gateway's MongoDB store classifies its errors (MongoStore.isUnavailable).
    const app = createHttpApp({ logger: captureLogger().logger, isUnavailable: isMongoUnavailable });
    try {
      const links = new MongoLinkStore(mongo.db('down'));
      const rateLimits = await registerRateLimits(app, { perIpPerMinute: 1, perLinkPerMinute: 1 }, links);
      uploadPageRoutes(app, {
        links,
        tenants: new MongoTenantStore(mongo.db('down')),
        clock: systemClock,
        storageOrigin: 'http://127.0.0.1:10000/devstoreaccount1',
        rateLimits,
      });
      const url = `/u/${'a'.repeat(43)}`;
      const failed = await app.inject({ url });
      expect(failed.statusCode).toBe(503);
      expect(failed.json<ErrorEnvelope>().error.code).toBe('unavailable');

      const limited = await app.inject({ url });
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(limited.body).toContain(en.rateLimited.title);
    } finally {
      await app.close();
      await mongo.close();
    }
  });
});

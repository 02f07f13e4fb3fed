import { randomBytes } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { captureLogger, startTestTelemetry } from '@uplink/testing';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './http.ts';

describe('logs', () => {
  it('never carry a secret, top-level or one level down', () => {
    const { logger, lines } = captureLogger();
    logger.info(
      { apiKey: 'k-top', token: 't-top', secret: 's-top', password: 'p-top', connectionString: 'c-top' },
      'top level',
    );
    logger.info(
      {
        destination: { apiKey: 'k-nested', secret: 's-nested', baseUrl: 'https://acme.freshdesk.com' },
        twilio: { authToken: 'a-nested' },
      },
      'nested',
    );
    logger.flush();
    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    for (const value of ['k-top', 't-top', 's-top', 'p-top', 'c-top', 'k-nested', 's-nested', 'a-nested']) {
      expect(text).not.toContain(value);
    }
    expect(lines[1]?.destination).toEqual({
      apiKey: '[redacted]',
      secret: '[redacted]',
      baseUrl: 'https://acme.freshdesk.com',
    });
  });

  it('log a request by method, shortened URL and address only: no headers, no tokens', () => {
    const { logger, lines } = captureLogger();
    const token = 'AbCdEf0123456789ghijklmnopqrstuvwxyz_-AB';
    logger.info(
      {
        req: {
          method: 'GET',
          url: `/u/${token}/uploads?access_token=upk_secret&x=1`,
          ip: '203.0.113.9',
          headers: { authorization: 'Bearer upk_secret', cookie: 'c=1' },
        },
      },
      'incoming request',
    );
    logger.flush();
    expect(lines[0]?.req).toEqual({
      method: 'GET',
      url: '/u/AbCdEf…/uploads?access_token=[redacted]&x=1',
      remoteAddress: '203.0.113.9',
    });
    expect(JSON.stringify(lines[0])).not.toContain('upk_secret');
  });

  it('carry the trace and span ids of the span they are written in', async () => {
    const telemetry = await startTestTelemetry('logger-test');
    try {
      const { logger, lines } = captureLogger();
      logger.info('outside');
      const span = trace.getTracer('test').startActiveSpan('work', (span) => {
        logger.info('inside');
        span.end();
        return span;
      });
      logger.flush();
      expect(lines[0]).not.toHaveProperty('trace_id');
      expect(lines[1]).toMatchObject({
        msg: 'inside',
        trace_id: span.spanContext().traceId,
        span_id: span.spanContext().spanId,
      });
    } finally {
      await telemetry.shutdown();
    }
  });
});

/** Every character percent-encoded: a URL that means the same and hides the text from a pattern. */
const percentEncoded = (text: string) =>
  [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');

describe('request logs of an HTTP app', () => {
  const apiKey = `upk_${randomBytes(18).toString('hex')}`;
  const token = randomBytes(32).toString('base64url');

  /** An app as the services build it, with routes shaped like theirs; returns every log line. */
  async function logsOf(requests: Array<{ url: string; headers?: Record<string, string> }>) {
    const { logger, lines } = captureLogger();
    const app = createHttpApp({ logger });
    app.get('/u/:token', async () => 'page');
    app.post('/u/:token/uploads/:uploadId/complete', async () => ({ ok: true }));
    app.get('/f/:token', async () => 'viewer');
    app.get('/v1/tickets/:provider/:ticketId/links/stream', async (request) => {
      // As a careless handler might: the headers whole.
      request.log.info({ headers: request.headers, query: request.query }, 'stream opened');
      return {};
    });
    await app.ready();
    for (const { url, headers } of requests) {
      const method = url.includes('/complete') ? 'POST' : 'GET';
      const res = await app.inject({ method, url, ...(headers ? { headers } : {}) });
      expect(res.statusCode).toBeLessThan(500);
    }
    await app.close();
    logger.flush();
    return lines.map((line) => JSON.stringify(line)).join('\n');
  }

  /** Neither the secret nor what follows its first characters, in clear or percent-encoded. */
  function expectNoSecret(text: string, secret: string) {
    for (const form of [
      secret.slice(6),
      encodeURIComponent(secret.slice(6)),
      percentEncoded(secret.slice(6)),
    ]) {
      expect(text).not.toContain(form);
    }
  }

  it.each([
    ['plain', `?access_token=${apiKey}`],
    ['a percent-encoded key name', `?access%5Ftoken=${apiKey}`],
    ['a lowercase percent-encoding in the key', `?access%5ftoken=${apiKey}`],
    [
      'a wholly percent-encoded key and value',
      `?${percentEncoded('access_token')}=${percentEncoded(apiKey)}`,
    ],
    ['the key in capitals', `?ACCESS_TOKEN=${apiKey}`],
    ['the key in another spelling', `?accessToken=${apiKey}`],
    ['a repeated parameter', `?access_token=nothing&access_token=${apiKey}`],
    ['a ; separator', `?lastEventId=1;access_token=${apiKey}`],
    ['an API key under any name', `?q=${apiKey}`],
  ])('never show an API key in the query: %s', async (_, query) => {
    const text = await logsOf([{ url: `/v1/tickets/freshdesk/1/links/stream${query}` }]);
    expect(text).toContain('/v1/tickets/freshdesk/1/links/stream');
    expectNoSecret(text, apiKey);
  });

  it.each([
    ['plain', (t: string) => `/u/${t}`],
    ['percent-encoded', (t: string) => `/u/${percentEncoded(t)}`],
    ['partly percent-encoded', (t: string) => `/u/%${t.charCodeAt(0).toString(16)}${t.slice(1)}`],
    ['with a route parameter after it', (t: string) => `/u/${percentEncoded(t)}/uploads/upl_1/complete`],
    ['on a viewer page', (t: string) => `/f/${t}`],
    ['on a viewer page, percent-encoded', (t: string) => `/f/${percentEncoded(t)}`],
    ['on a path no route has', (t: string) => `/u/${t}/nothing-here`],
    ['on a path no route has, percent-encoded', (t: string) => `/x/${percentEncoded(t)}`],
  ])('never show a link token in the path: %s', async (_, path) => {
    const text = await logsOf([{ url: path(token) }]);
    expect(text).toContain('incoming request');
    expectNoSecret(text, token);
  });

  it('never show credentials from headers, however a handler logs them', async () => {
    const text = await logsOf([
      {
        url: '/v1/tickets/freshdesk/1/links/stream',
        headers: {
          authorization: `Bearer ${apiKey}`,
          cookie: `session=${token}`,
          'x-api-key': apiKey,
          'proxy-authorization': `Basic ${token}`,
        },
      },
    ]);
    expect(text).toContain('stream opened');
    expectNoSecret(text, apiKey);
    expectNoSecret(text, token);
  });

  it('keep what is not a credential readable', async () => {
    const text = await logsOf([
      { url: `/u/${token}/uploads/upl_visible/complete?lastEventId=42` },
      { url: '/v1/tickets/freshdesk/4711/links/stream?limit=5' },
    ]);
    expect(text).toContain(`/u/${token.slice(0, 6)}…/uploads/upl_visible/complete?lastEventId=42`);
    expect(text).toContain('/v1/tickets/freshdesk/4711/links/stream?limit=5');
  });
});

import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startTestTelemetry } from './telemetry-testing.ts';
import { captureLogger } from './testing.ts';

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

import { trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Fields that hold credentials: their values never reach a log line, at the top or one level down. */
const SECRET_FIELDS = ['apiKey', 'token', 'secret', 'password', 'authToken', 'connectionString'];

/** Paths whose values never reach a log line. */
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
];

/**
 * Customer link tokens and file viewer tokens travel in URL paths (`/u/<token>/...`,
 * `/f/<token>`): they are credentials, so request lines show only their first characters.
 * An API key sent as `?access_token=` (EventSource cannot set headers) never shows at all.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/\/([uf])\/([A-Za-z0-9_-]{6})[A-Za-z0-9_-]+/, '/$1/$2…')
    .replace(/([?&]access_token=)[^&#]*/gi, '$1[redacted]');
}

type LoggedRequest = {
  method?: string;
  url?: string;
  id?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
};

/**
 * JSON logs with the service name and, inside a span, its trace and span ids. Components log
 * through `logger.child({ type: '<component>' })` so every line says where it came from.
 */
export function createLogger(opts: {
  service: string;
  level: string;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: opts.service },
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        req: (req: LoggedRequest) => ({
          method: req.method,
          url: req.url === undefined ? undefined : redactUrl(req.url),
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
        }),
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin() {
        const span = trace.getActiveSpan()?.spanContext();
        return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
      },
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}

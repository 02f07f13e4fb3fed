import { trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, pino } from 'pino';
import { redactFields, redactUrl } from './log-redaction.ts';

export type { Logger } from 'pino';

type LoggedRequest = {
  method?: string;
  url?: string;
  /** Set on Fastify's requests once routed. */
  routeOptions?: { url?: string };
  id?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
};

/**
 * What a log line is about. Every line has one, from this closed list, so a reader can filter on
 * it; a new component adds its name here.
 */
export type LogType =
  // Every service: start and stop, the process, HTTP, periodic sweeps.
  | 'lifecycle'
  | 'process'
  | 'shutdown'
  | 'http'
  | 'sweep'
  // The event bus: its adapters, consumers and outbox publishers.
  | 'nats'
  | 'event-bus'
  | 'consumer'
  | 'outbox'
  // The services' own work.
  | 'link-events-feed'
  | 'sign-in'
  | 'upload'
  | 'retention'
  | 'delivery'
  | 'expiry';

/** A logger whose every line says it is about `type` (and carries `bindings`). */
export function logFor(logger: Logger, type: LogType, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ ...bindings, type });
}

/**
 * JSON logs with the service name and, inside a span, its trace and span ids. Components log
 * through `logFor(logger, '<type>')` so every line says what it is about.
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
      formatters: {
        log: (record) => redactFields(record) as Record<string, unknown>,
        bindings: (bindings) => redactFields(bindings) as Record<string, unknown>,
      },
      serializers: {
        req: (req: LoggedRequest) => ({
          method: req.method,
          url: req.url === undefined ? undefined : redactUrl(req.url, req.routeOptions?.url),
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

import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AjvCompiler, type ValidatorFactory } from '@fastify/ajv-compiler';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ErrorCode, ErrorEnvelope } from '@uplink/contracts';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import type { Logger } from 'pino';
import { AppError, isStorageError } from './errors.ts';
import { type ReadinessCheck, registerHealth } from './health.ts';
import { logFor } from './logger.ts';
import { answerMethodNotAllowed } from './method-not-allowed.ts';
import { recordHttpRequest } from './metrics.ts';
import { parseQuery } from './query.ts';
import { activeInstrumentations } from './telemetry.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when shutdown begins: /readyz answers 503 so traffic moves elsewhere. */
    draining: boolean;
  }
}

const MAX_PARAM_LENGTH = 256;

/** Ajv as Uplink validates requests: unknown fields get a 400 that names them, never dropped. */
const STRICT = { removeAdditional: false, allErrors: false } as const;

// @fastify/ajv-compiler's own types describe its compile function as Ajv's; Fastify calls it
// with the route's schema and the part of the request it is for.
type CompilerOptions = { customOptions?: Record<string, unknown>; plugins?: unknown[] };
type CompileForRoute = (route: { schema: unknown; httpPart?: string }) => unknown;
type BuildCompiler = (externalSchemas: unknown, options: CompilerOptions) => CompileForRoute;

/**
 * JSON bodies are validated as they are: `"5"` is not an integer. Query strings, path parameters
 * and headers are text by nature, so there `?limit=20` is converted to the number its schema
 * asks for before it is checked.
 */
function requestValidators(): { buildValidator: ValidatorFactory } {
  const build = AjvCompiler() as unknown as BuildCompiler;
  const buildValidator: BuildCompiler = (externalSchemas, serverOptions) => {
    const options = (coerceTypes: false | 'array') => ({
      ...serverOptions,
      customOptions: { ...serverOptions.customOptions, ...STRICT, coerceTypes },
    });
    const forBody = build(externalSchemas, options(false));
    const forText = build(externalSchemas, options('array'));
    return (route) => (route.httpPart === 'body' ? forBody : forText)(route);
  };
  return { buildValidator: buildValidator as unknown as ValidatorFactory };
}

export type HttpAppOptions = {
  logger: Logger;
  /** Proxies whose X-Forwarded-For is believed (a CIDR list, hop count or true). */
  trustProxy?: boolean | string | string[];
  bodyLimit?: number;
  /** Dependencies /readyz checks, by name. */
  readiness?: Record<string, ReadinessCheck>;
  /**
   * Whether an error means a dependency cannot answer now (the session store's own
   * classification: a lost MongoDB connection, a locked SQLite file). Those answer 503.
   */
  isUnavailable?: (err: unknown) => boolean;
};

/**
 * The Fastify instance every service builds on: TypeBox schemas, one error envelope, request
 * ids, timeouts that stop slow clients from holding connections forever, the
 * `http.server.request.duration` histogram per route and, once telemetry is started with
 * instrumentations, a SERVER span per request (@fastify/otel, named "<method> <route>"; the
 * probes have none).
 */
export function createHttpApp(opts: HttpAppOptions) {
  const app = Fastify({
    loggerInstance: logFor(opts.logger, 'http') as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 5_000,
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    trustProxy: opts.trustProxy ?? false,
    // Above every path parameter a schema allows (ticket ids: 128 characters), so a long one gets
    // the schema's 400 that names it rather than the router's limit.
    // The query parser the logs use too, so what they redact is what the routes read.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, querystringParser: parseQuery },
    // The router's own refusals, before any route: in the error envelope like every other error.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      return (reply as FastifyReply).code(tooLong ? 414 : 400).send({
        error: {
          code: 'invalid_request',
          message: tooLong
            ? `A part of the URL is longer than ${MAX_PARAM_LENGTH} characters.`
            : 'The URL is not valid (a malformed percent-encoding).',
        },
      } satisfies ErrorEnvelope);
    },
    schemaController: { compilersFactory: requestValidators() },
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // First, so that its onRoute hook sees every route; registered plugins load in order. Present
  // when startTelemetry enabled the instrumentations (telemetry leaves the process).
  const otel = activeInstrumentations();
  if (otel) app.register(otel.fastify.plugin());
  app.addHook('onRequest', (request, reply, done) => {
    // On the raw response, so every answer has it: errors, 404s, 405s, hijacked streams.
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    const started = performance.now();
    // 'close' also comes for hijacked replies (the SSE stream), which skip onSend and onResponse.
    reply.raw.once('close', () => {
      // Undefined when the client went away before an answer began.
      const statusCode = reply.raw.headersSent ? reply.raw.statusCode : undefined;
      recordHttpRequest((performance.now() - started) / 1000, {
        method: request.method,
        route: request.routeOptions.url,
        statusCode,
      });
      // @fastify/otel ends its span in onSend: a hijacked reply's span ends here.
      const span = otel ? request.opentelemetry().span : undefined;
      if (span?.isRecording()) {
        if (statusCode !== undefined) span.setAttribute('http.response.status_code', statusCode);
        span.end();
      }
    });
    done();
  });

  // After the request metrics' hook, so 405s are counted too; before any route.
  answerMethodNotAllowed(app);

  app.decorate('draining', false);
  registerHealth(app, opts.readiness ?? {}, () => app.draining);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, code, message, uploadId } = describeError(error, opts.isUnavailable ?? (() => false));
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const named = uploadId !== undefined ? { uploadId } : {};
    return reply.code(status).send({ error: { code, message, ...named } } satisfies ErrorEnvelope);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: { code: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}` },
    } satisfies ErrorEnvelope),
  );
  return app;
}

function describeError(
  error: FastifyError,
  isUnavailable: (err: unknown) => boolean,
): { status: number; code: ErrorCode; message: string; uploadId?: string } {
  if (error instanceof AppError) {
    if (error.statusCode >= 500) {
      return {
        status: error.statusCode,
        code: error.code,
        message: 'The service is temporarily unavailable.',
      };
    }
    const named = error.uploadId !== undefined ? { uploadId: error.uploadId } : {};
    return { status: error.statusCode, code: error.code, message: error.message, ...named };
  }
  if (error.validation) {
    return { status: 400, code: 'invalid_request', message: validationMessage(error) };
  }
  // Storage's refusals are about our blobs, not about this request: its status and words stay inside.
  if (isStorageError(error)) {
    return { status: 503, code: 'unavailable', message: 'File storage is unavailable; try again shortly.' };
  }
  if (isUnavailable(error)) {
    return {
      status: 503,
      code: 'unavailable',
      message: 'The service is temporarily unavailable; try again shortly.',
    };
  }
  // Fastify's own refusals (a body too large or not JSON, an unknown content type) have a status
  // and a message meant for the client. Any other error's are someone else's (a storage SDK, a
  // driver, a library): never passed on.
  const status = error.statusCode ?? 500;
  if (status < 500 && error.code?.startsWith('FST_')) {
    return { status, code: codeForStatus(status), message: error.message };
  }
  return { status: 500, code: 'internal', message: 'Something went wrong on our side.' };
}

/** Node's parser errors that have a status of their own; any other refusal is a 400. */
const CLIENT_ERROR_STATUS: Record<string, { status: number; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, message: 'The request line and headers are too large.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time.' },
};

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (oversized headers, a malformed
 * request line, one that takes too long to arrive): answered in the error envelope, then the
 * connection is closed, as Fastify's own handler does.
 */
function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection: nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, message } = CLIENT_ERROR_STATUS[error.code ?? ''] ?? {
    status: 400,
    message: 'The request is not valid HTTP.',
  };
  this.log.debug({ err: error, status }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ error: { code: 'invalid_request', message } } satisfies ErrorEnvelope);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'content-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        'x-content-type-options: nosniff\r\n' +
        'connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 404:
      return 'not_found';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return 'invalid_request';
  }
}

/** "body/validityHours must be equal to one of the allowed values (1, 2, 4, 8, 24)". */
function validationMessage(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return error.message;
  const params = first.params as Record<string, unknown>;
  let field = `${error.validationContext ?? 'request'}${first.instancePath}`;
  if (typeof params.missingProperty === 'string') field += `/${params.missingProperty}`;
  if (typeof params.additionalProperty === 'string') {
    return `${field}/${params.additionalProperty} is not a known field`;
  }
  const allowed = Array.isArray(params.allowedValues) ? ` (${params.allowedValues.join(', ')})` : '';
  const message = typeof params.missingProperty === 'string' ? 'is required' : first.message;
  return `${field} ${message}${allowed}`;
}

/** An OpenAPI security scheme: a bearer token, or a credential in a named query parameter. */
export type SecurityScheme =
  | { type: 'http'; scheme: 'bearer'; description: string }
  | { type: 'apiKey'; in: 'query'; name: string; description: string };

/**
 * Serves the OpenAPI document generated from the route schemas at /docs/json and, with `ui`, a
 * UI at /docs. The plugins are loaded here, not at import, so services without an API
 * (note-relay) never load them.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  info: { title: string; version: string; description: string },
  security?: Record<string, SecurityScheme>,
  options: { ui: boolean } = { ui: true },
): Promise<void> {
  const { default: swagger } = await import('@fastify/swagger');
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info,
      ...(security ? { components: { securitySchemes: security } } : {}),
    },
  });
  if (options.ui) {
    await registerDocsUi(app);
    return;
  }
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
}

/**
 * The Swagger UI at /docs, in its own scope: a page that runs a large script bundle, so it may
 * load only its own files, call only this origin, and never be framed (clickjacking).
 */
async function registerDocsUi(app: FastifyInstance): Promise<void> {
  const { default: swaggerUi } = await import('@fastify/swagger-ui');
  await app.register(async (docs) => {
    docs.addHook('onRequest', async (request, reply) => {
      // The plugin answers static/index.html with a redirect to the URL it was asked minus that
      // name: with a query string (or any other suffix) that is the same URL again, forever.
      // Every spelling of it goes to the UI's one address instead.
      if (request.routeOptions.url?.endsWith('/static/index.html')) return reply.redirect('/docs/', 301);
    });
    docs.addHook('onSend', async (_request, reply, payload) => {
      const { script, style } = docs.swaggerCSP;
      reply.header(
        'content-security-policy',
        [
          "default-src 'none'",
          `script-src 'self' ${script.join(' ')}`,
          `style-src 'self' ${style.join(' ')}`,
          "img-src 'self' data:",
          "font-src 'self' data:",
          "connect-src 'self'",
          "base-uri 'none'",
          "form-action 'none'",
          "frame-ancestors 'none'",
        ].join('; '),
      );
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'no-referrer');
      return payload;
    });
    await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null } });
  });
}

export type HttpApp = ReturnType<typeof createHttpApp>;

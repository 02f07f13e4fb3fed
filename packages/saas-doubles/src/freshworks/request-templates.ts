// Request templates turned into a request, as Freshworks' proxy does before it calls out: the
// template must be defined in config/requests.json AND declared in the manifest's
// `modules.common.requests`; `<%= iparam.x %>` and `<%= context.x %>` are substituted where the
// platform allows each (host: non-secure iparams; path and query: non-secure iparams and context;
// header values: secure and non-secure iparams and context), so a secure iparam can only ever
// travel in a header; the host must stay a bare domain name and the path must start with '/'.
// Refusals carry the status and text the platform's own errors carry.
import type { FreshworksApp, IparamDeclaration } from './app-folder.ts';

/** What invokeTemplate rejects with: the documented `{status, headers, response}` plus where it arose. */
export type FreshworksInvokeError = {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly response: string;
  readonly errorSource: 'APP' | 'PLATFORM';
  readonly attempts: number;
};

export type RenderedRequest = {
  readonly method: string;
  readonly host: string;
  /** Path and query, as they go on the request line. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
};

export type InvokeOptions = { readonly context?: unknown; readonly body?: unknown };

/** Content types the platform sends (anything else is refused with 415). */
const SUPPORTED_CONTENT_TYPES = new Set([
  'application/json',
  'application/xml',
  'text/html',
  'text/xml',
  'application/jsonp',
  'text/plain',
  'text/javascript',
  'application/javascript',
  'application/vnd.api+json',
]);

type Field = 'host' | 'path' | 'header' | 'query';
/** Which variables each part of the schema may use (the platform's table of substitutions). */
const ALLOWED: Record<Field, { secureIparams: boolean; context: boolean }> = {
  host: { secureIparams: false, context: false },
  path: { secureIparams: false, context: true },
  header: { secureIparams: true, context: true },
  query: { secureIparams: false, context: true },
};

const BARE_HOST =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

export class TemplateRefusal extends Error {
  readonly failure: FreshworksInvokeError;
  constructor(status: number, response: string, why: string) {
    super(why);
    this.failure = { status, headers: {}, response, errorSource: 'APP', attempts: 0 };
  }
}

/**
 * The request template `name` with the installation's iparams and the call's context substituted;
 * throws a TemplateRefusal (with `message` saying why, for the test's eyes) for anything the
 * platform refuses.
 */
export function renderRequest(
  app: FreshworksApp,
  installed: Readonly<Record<string, string>>,
  name: string,
  options: InvokeOptions,
): RenderedRequest {
  const template = app.templates.get(name);
  if (template === undefined || !app.declaredRequests.has(name)) {
    throw new TemplateRefusal(
      404,
      'Request template not found',
      template === undefined
        ? `no template ${name} in config/requests.json`
        : `template ${name} is not declared in the manifest's modules.common.requests`,
    );
  }
  if (options.body !== undefined && typeof options.body !== 'string') {
    throw invalid('/body', 'must be string', `the body of ${name} is not a string`);
  }
  const context = options.context ?? {};
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw invalid('/context', 'must be object', 'context is not an object');
  }
  const variables = { app, installed, context: context as Record<string, unknown> };
  const { schema } = template;
  if (schema.protocol !== undefined && schema.protocol.toLowerCase() !== 'https') {
    throw invalid('/schema/protocol', 'must be https', `template ${name} asks for ${schema.protocol}`);
  }

  const host = substitute(schema.host, 'host', variables);
  if (!BARE_HOST.test(host) || /^[\d.]+$/.test(host)) {
    throw invalid('/schema/host', 'must be a domain name without protocol, port or path', `host ${host}`);
  }
  const path = substitute(schema.path ?? '/', 'path', variables);
  if (!path.startsWith('/') || /[?#\s]/.test(path) || path.split('/').includes('..')) {
    throw invalid('/schema/path', "must start with '/' and hold only a path", `path ${path}`);
  }
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(schema.query ?? {})) {
    query.append(key, substitute(String(value), 'query', variables));
  }
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(schema.headers ?? {})) {
    headers[key] = substitute(value, 'header', variables);
  }
  const contentType = Object.entries(headers).find(([key]) => key.toLowerCase() === 'content-type')?.[1];
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== undefined && !SUPPORTED_CONTENT_TYPES.has(mediaType)) {
    throw new TemplateRefusal(415, 'Unsupported content type', `content type ${contentType}`);
  }
  const search = query.toString();
  return {
    method: schema.method,
    host,
    target: search === '' ? path : `${path}?${search}`,
    headers,
    maxAttempts: template.options?.maxAttempts ?? 1,
    retryDelayMs: template.options?.retryDelay ?? 0,
  };
}

type Variables = {
  app: FreshworksApp;
  installed: Readonly<Record<string, string>>;
  context: Record<string, unknown>;
};

const PLACEHOLDER = /<%=\s*(.*?)\s*%>/g;
const PLAIN = /^(iparam|context)\.([A-Za-z0-9_]+)$/;
const ENCODED = /^encode\(\s*(iparam|context)\.([A-Za-z0-9_]+)\s*\)$/;

function substitute(text: string, field: Field, variables: Variables): string {
  return text.replace(PLACEHOLDER, (_whole, expression: string) => {
    const plain = PLAIN.exec(expression);
    const encoded = plain === null ? ENCODED.exec(expression) : null;
    const match = plain ?? encoded;
    if (match === null) throw substitutionError(`cannot substitute <%= ${expression} %> in ${field}`);
    const [, scope, key = ''] = match;
    const value =
      scope === 'iparam' ? iparamValue(key, field, variables) : contextValue(key, field, variables);
    return encoded === null ? value : Buffer.from(value, 'utf8').toString('base64');
  });
}

function iparamValue(name: string, field: Field, { app, installed }: Variables): string {
  const declared: IparamDeclaration | undefined = app.iparams.get(name);
  if (declared === undefined)
    throw substitutionError(`iparam ${name} is not declared in config/iparams.json`);
  if (declared.secure === true && !ALLOWED[field].secureIparams) {
    throw substitutionError(`secure iparam ${name} used in ${field}: only headers may carry it`);
  }
  // An optional iparam the installation left empty is substituted as empty, not refused.
  return installed[name] ?? '';
}

function contextValue(key: string, field: Field, { context }: Variables): string {
  if (!ALLOWED[field].context) throw substitutionError(`context.${key} used in ${field}`);
  const value = context[key];
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw substitutionError(
      `context.${key} is ${value === undefined ? 'missing' : 'not a string or number'}`,
    );
  }
  return String(value);
}

function substitutionError(why: string): TemplateRefusal {
  return new TemplateRefusal(400, 'Error while substituting the templates', why);
}

function invalid(instancePath: string, message: string, why: string): TemplateRefusal {
  return new TemplateRefusal(400, 'runtime validation failed.', `${why} (${instancePath} ${message})`);
}

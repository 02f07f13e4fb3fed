// A Freshworks app (platform 3.0) as the platform reads it from its folder: manifest.json, the
// request templates in config/requests.json, the installation parameters in config/iparams.json,
// and the front end under app/. Only what the host double needs is read; what it reads is checked
// as strictly as the platform documents it, so an app the platform would not run fails here too.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The ticket page's placements the double plays; others are refused. */
export const FRESHWORKS_TICKET_PLACEMENTS = ['ticket_sidebar', 'ticket_conversation_editor'] as const;
export type FreshworksTicketPlacement = (typeof FRESHWORKS_TICKET_PLACEMENTS)[number];

export type RequestTemplate = {
  readonly schema: {
    readonly method: string;
    readonly protocol?: string;
    readonly host: string;
    readonly path?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly query?: Readonly<Record<string, string | number>>;
  };
  readonly options?: { readonly maxAttempts?: number; readonly retryDelay?: number };
};

export type IparamDeclaration = {
  readonly display_name: string;
  readonly type: string;
  readonly required?: boolean;
  readonly secure?: boolean;
};

export type Placement = { readonly url: string; readonly icon: string };

export type FreshworksApp = {
  readonly folder: string;
  readonly placements: Readonly<Partial<Record<FreshworksTicketPlacement, Placement>>>;
  /** Template names the manifest declares in `modules.common.requests`. */
  readonly declaredRequests: ReadonlySet<string>;
  /** The templates config/requests.json defines. */
  readonly templates: ReadonlyMap<string, RequestTemplate>;
  readonly iparams: ReadonlyMap<string, IparamDeclaration>;
};

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);

/** Reads and checks the app in `folder`; throws naming the first thing the platform would refuse. */
export async function readFreshworksApp(folder: string): Promise<FreshworksApp> {
  const manifest = await readJson(folder, 'manifest.json');
  if (manifest['platform-version'] !== '3.0') fail('manifest.json: platform-version must be "3.0"');
  const modules = objectAt(manifest, 'modules', 'manifest.json');
  const common = objectAt(modules, 'common', 'manifest.json modules');
  const requests = common.requests === undefined ? {} : objectAt(common, 'requests', 'modules.common');
  const ticket = objectAt(modules, 'support_ticket', 'manifest.json modules');
  const locations = objectAt(ticket, 'location', 'modules.support_ticket');
  const placements: Partial<Record<FreshworksTicketPlacement, Placement>> = {};
  for (const [name, value] of Object.entries(locations)) {
    if (!(FRESHWORKS_TICKET_PLACEMENTS as readonly string[]).includes(name)) {
      fail(`manifest.json: the double plays no placement ${name}`);
    }
    const placement = value as Partial<Placement>;
    if (typeof placement.url !== 'string' || typeof placement.icon !== 'string') {
      fail(`manifest.json: placement ${name} needs url and icon`);
    }
    placements[name as FreshworksTicketPlacement] = { url: placement.url, icon: placement.icon };
  }

  const requestsJson = await readJson(folder, 'config/requests.json', {});
  const templates = new Map<string, RequestTemplate>();
  for (const [name, value] of Object.entries(requestsJson)) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) fail(`config/requests.json: template name ${name}`);
    templates.set(name, checkedTemplate(name, value));
  }
  for (const name of Object.keys(requests)) {
    if (!templates.has(name)) fail(`manifest.json declares request ${name}, config/requests.json does not`);
  }

  const iparamsJson = await readJson(folder, 'config/iparams.json', {});
  const iparams = new Map<string, IparamDeclaration>();
  for (const [name, value] of Object.entries(iparamsJson)) {
    const declared = value as Partial<IparamDeclaration>;
    if (typeof declared.display_name !== 'string' || typeof declared.type !== 'string') {
      fail(`config/iparams.json: ${name} needs display_name and type`);
    }
    iparams.set(name, declared as IparamDeclaration);
  }
  return { folder, placements, declaredRequests: new Set(Object.keys(requests)), templates, iparams };
}

function checkedTemplate(name: string, value: unknown): RequestTemplate {
  const where = `config/requests.json: template ${name}`;
  const template = value as Partial<RequestTemplate>;
  const schema = template?.schema;
  if (typeof schema !== 'object' || schema === null) fail(`${where} has no schema`);
  if (!METHODS.has(schema.method)) fail(`${where}: schema/method must be one of ${[...METHODS].join(', ')}`);
  if (typeof schema.host !== 'string' || schema.host === '') fail(`${where}: schema/host must not be empty`);
  if (schema.path !== undefined && !schema.path.startsWith('/'))
    fail(`${where}: schema/path must start with '/'`);
  for (const field of ['headers', 'query'] as const) {
    const entries = schema[field];
    if (entries === undefined) continue;
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
      fail(`${where}: schema/${field} must be object`);
    }
    for (const entry of Object.values(entries)) {
      if (typeof entry !== 'string' && !(field === 'query' && typeof entry === 'number')) {
        fail(`${where}: schema/${field} values must be strings`);
      }
    }
  }
  const maxAttempts = template.options?.maxAttempts;
  if (maxAttempts !== undefined && !(Number.isInteger(maxAttempts) && maxAttempts >= 1 && maxAttempts <= 5)) {
    fail(`${where}: options/maxAttempts must be from 1 to 5`);
  }
  const retryDelay = template.options?.retryDelay;
  if (retryDelay !== undefined && !(Number.isInteger(retryDelay) && retryDelay >= 0 && retryDelay <= 1500)) {
    fail(`${where}: options/retryDelay must be from 0 to 1500`);
  }
  return template as RequestTemplate;
}

async function readJson(
  folder: string,
  file: string,
  whenMissing?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(join(folder, file), 'utf8');
  } catch (error) {
    if (whenMissing !== undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return whenMissing;
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    fail(`${file} must be an object`);
  return parsed as Record<string, unknown>;
}

function objectAt(parent: Record<string, unknown>, key: string, where: string): Record<string, unknown> {
  const value = parent[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where} needs ${key}`);
  return value as Record<string, unknown>;
}

function fail(message: string): never {
  throw new Error(`Freshworks app: ${message}`);
}

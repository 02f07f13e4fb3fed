import { Readable } from 'node:stream';
import {
  type AuditEntryView,
  AuditPage,
  AuditQuery,
  AuditVerification,
  ErrorEnvelope,
  LinkHistory,
  LinkParams,
} from '@uplink/contracts';
import { type HttpApp, notFound } from '@uplink/kit';
import {
  type AuditEntry,
  type AuditFilter,
  type AuditLog,
  type LinkStore,
  verifyAuditChain,
} from '@uplink/store';
import { Type } from 'typebox';

const NDJSON = 'application/x-ndjson';
const EXPORT_PAGE = 500;
/** More than a link's life brings (created, a few refusals, accepted, previews, revoked). */
const LINK_HISTORY_LIMIT = 200;
const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope } as const;

function toEntryView({ tenantId, ...entry }: AuditEntry): AuditEntryView {
  return entry;
}

function filterOf(query: AuditQuery, limit: number): AuditFilter {
  return {
    ...(query.from ? { from: new Date(query.from) } : {}),
    ...(query.to ? { to: new Date(query.to) } : {}),
    ...(query.linkId ? { linkId: query.linkId } : {}),
    ...(query.actor ? { actor: query.actor } : {}),
    ...(query.action ? { action: query.action } : {}),
    ...(query.cursor ? { beforeSeq: Number(query.cursor) } : {}),
    limit,
  };
}

/**
 * The tenant's audit log, for its admins: pages of entries (newest first, filtered), the same as
 * NDJSON for export, and a check of the chain that names the first broken entry; and one link's
 * history, for whoever may see the link.
 */
export function auditRoutes(app: HttpApp, deps: { log: AuditLog; links: LinkStore }): void {
  const { log, links } = deps;

  /** Every matching entry, newest first, one line each; read a page at a time, never held whole. */
  async function* exportLines(tenantId: string, query: AuditQuery): AsyncGenerator<string> {
    let filter = filterOf(query, EXPORT_PAGE);
    for (;;) {
      const page = await log.list(tenantId, filter);
      for (const entry of page) yield `${JSON.stringify(toEntryView(entry))}\n`;
      const last = page.at(-1);
      if (page.length < EXPORT_PAGE || !last) return;
      filter = { ...filter, beforeSeq: last.seq };
    }
  }

  app.get(
    '/v1/audit',
    {
      config: { access: 'audit' },
      schema: {
        summary: "The tenant's audit log",
        description:
          'Newest first, filtered by time range (`from` inclusive, `to` exclusive), link, actor and action; `nextCursor` fetches the next page. With `Accept: application/x-ndjson`, every matching entry as one JSON object per line (as /v1/audit/export).',
        tags: ['audit'],
        querystring: AuditQuery,
        produces: ['application/json', NDJSON],
        // A page of entries, or (NDJSON asked for) the stream of their lines.
        response: { 200: Type.Unsafe<AuditPage | Readable>(AuditPage), ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      if (request.headers.accept?.includes(NDJSON)) {
        return reply.type(NDJSON).send(Readable.from(exportLines(tenantId, request.query)));
      }
      const limit = request.query.limit ?? 100;
      // One more than the page, to know whether another follows.
      const found = await log.list(tenantId, filterOf(request.query, limit + 1));
      const entries = found.slice(0, limit);
      const last = entries.at(-1);
      return {
        entries: entries.map(toEntryView),
        ...(found.length > limit && last ? { nextCursor: String(last.seq) } : {}),
      };
    },
  );

  app.get(
    '/v1/audit/export',
    {
      config: { access: 'audit' },
      schema: {
        summary: "The tenant's audit log as NDJSON",
        description:
          'Every entry matching the filters, newest first, one JSON object per line (the entries of GET /v1/audit).',
        tags: ['audit'],
        querystring: Type.Omit(AuditQuery, ['cursor', 'limit']),
        produces: [NDJSON, 'application/json'],
        response: {
          200: Type.Unsafe<Readable>({ type: 'string', description: 'One audit entry (JSON) per line.' }),
          ...errors,
        },
      },
    },
    async (request, reply) =>
      reply.type(NDJSON).send(Readable.from(exportLines(request.principal.tenantId, request.query))),
  );

  app.get(
    '/v1/links/:id/history',
    {
      config: { access: 'links' },
      schema: {
        summary: "A link's history from the audit log",
        description:
          "Who did what with the link and when (created, the customer's attempts, previews, viewer links, revoked), oldest first: the link's audit entries, for whoever may see the link.",
        tags: ['links'],
        params: LinkParams,
        response: { 200: LinkHistory, ...errors, 404: ErrorEnvelope },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const link = await links.get(tenantId, request.params.id);
      if (!link) throw notFound('No such link.');
      const newestFirst = await log.list(tenantId, { linkId: link._id, limit: LINK_HISTORY_LIMIT });
      return { entries: newestFirst.reverse().map(toEntryView) };
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      config: { access: 'audit' },
      schema: {
        summary: "Check the tenant's audit chain",
        description:
          'Recomputes every entry’s hash from its content and the previous hash, from the first entry (or the one after the last entry retention pruned): `ok` false names the first entry altered or missing.',
        tags: ['audit'],
        response: { 200: AuditVerification, ...errors },
      },
    },
    (request) => verifyAuditChain(log, request.principal.tenantId),
  );
}

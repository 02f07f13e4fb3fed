import {
  CreatedLink,
  CreateLinkBody,
  ErrorEnvelope,
  FileLinksRevoked,
  LinkList,
  LinkParams,
  LinkView,
  TicketParams,
} from '@uplink/contracts';
import type { OutboxPublisher } from '@uplink/event-bus';
import { type Clock, conflict, type HttpApp, notFound, unavailable } from '@uplink/kit';
import type { AuditRecorder, FileShareStore, LinkStore, TenantStore } from '@uplink/store';
import { Type } from 'typebox';
import { replyText, toLinkView } from './link-view.ts';

export type LinkRoutesDeps = {
  links: LinkStore;
  shares: FileShareStore;
  tenants: TenantStore;
  outbox: OutboxPublisher;
  audit: AuditRecorder;
  clock: Clock;
  publicUploadBaseUrl: string;
};

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 404: ErrorEnvelope } as const;

export function linkRoutes(app: HttpApp, deps: LinkRoutesDeps): void {
  const { links, shares, tenants, outbox, audit, clock } = deps;
  async function defaultValidity(tenantId: string) {
    const settings = await tenants.getSettings(tenantId);
    if (!settings) throw unavailable('Tenant settings are missing.');
    return settings.defaultValidityHours;
  }
  const baseUrl = deps.publicUploadBaseUrl.endsWith('/')
    ? deps.publicUploadBaseUrl
    : `${deps.publicUploadBaseUrl}/`;

  app.post(
    '/v1/links',
    {
      config: { access: 'links' },
      schema: {
        summary: 'Create an upload link for a ticket',
        tags: ['links'],
        body: CreateLinkBody,
        response: { 201: CreatedLink, ...errors, 503: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      const { tenantId, actor } = request.principal;
      const validityHours = request.body.validityHours ?? (await defaultValidity(tenantId));
      const now = clock.now();
      const { link, token } = await links.create(
        {
          tenantId,
          ticket: request.body.ticket,
          contextMessage: request.body.contextMessage,
          validityHours,
          createdBy: actor,
          now,
        },
        (created) =>
          audit.entry('link.created', actor, {
            linkId: created._id,
            details: { ticket: `${created.ticket.provider}:${created.ticket.id}`, validityHours },
          }),
      );
      outbox.publishSoon(link._id, link.outbox);
      const url = `${baseUrl}${token}`;
      return reply
        .code(201)
        .header('location', `/v1/links/${link._id}`)
        .send({ ...toLinkView(link, now), url, replyText: replyText(url, link.validityHours) });
    },
  );

  app.get(
    '/v1/links/:id',
    {
      config: { access: 'links' },
      schema: {
        summary: 'Get a link with its current status',
        tags: ['links'],
        params: LinkParams,
        response: { 200: LinkView, ...errors },
      },
    },
    async (request) => {
      const link = await links.get(request.principal.tenantId, request.params.id);
      if (!link) throw notFound('No such link.');
      return toLinkView(link, clock.now());
    },
  );

  app.get(
    '/v1/tickets/:provider/:ticketId/links',
    {
      config: { access: 'links' },
      schema: {
        summary: "List a ticket's links, newest first",
        tags: ['links'],
        params: TicketParams,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) },
          { additionalProperties: false },
        ),
        response: { 200: LinkList, ...errors },
      },
    },
    async (request) => {
      const { provider, ticketId } = request.params;
      const found = await links.listByTicket(
        request.principal.tenantId,
        { provider, id: ticketId },
        request.query.limit ?? 50,
      );
      const now = clock.now();
      return { links: found.map((link) => toLinkView(link, now)) };
    },
  );

  app.delete(
    '/v1/links/:id',
    {
      config: { access: 'links' },
      schema: {
        summary: 'Revoke a pending link',
        tags: ['links'],
        params: LinkParams,
        response: { 200: LinkView, ...errors, 409: ErrorEnvelope },
      },
    },
    async (request) => {
      const now = clock.now();
      const { tenantId, actor } = request.principal;
      const result = await links.revoke(tenantId, request.params.id, actor, now);
      if (result.outcome === 'not_found') throw notFound('No such link.');
      if (result.outcome === 'not_pending') {
        throw conflict(
          'link_not_pending',
          `The link is ${result.link.status}; only pending links can be revoked.`,
        );
      }
      outbox.publishSoon(result.link._id, result.link.outbox);
      await audit.record(tenantId, 'link.revoked', actor, { linkId: result.link._id });
      return toLinkView(result.link, now);
    },
  );

  app.delete(
    '/v1/links/:id/file-links',
    {
      config: { access: 'links' },
      schema: {
        summary: "Revoke the viewer links of a link's file",
        description:
          'Every viewer link note-relay put in a note or a Flex entry for this link stops working at once: new views answer 410. A page already open keeps its player for at most 10 minutes.',
        tags: ['links'],
        params: LinkParams,
        response: { 200: FileLinksRevoked, ...errors },
      },
    },
    async (request) => {
      const { tenantId, actor } = request.principal;
      const link = await links.get(tenantId, request.params.id);
      if (!link) throw notFound('No such link.');
      const revoked = await shares.revokeForLink(tenantId, link._id, clock.now());
      // A call that stopped no viewer link changed nothing, so it leaves no entry.
      if (revoked > 0)
        await audit.record(tenantId, 'viewer_link.revoked', actor, {
          linkId: link._id,
          details: { revoked },
        });
      return { revoked };
    },
  );
}

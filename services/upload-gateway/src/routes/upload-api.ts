import {
  ErrorEnvelope,
  SubmissionBody,
  SubmissionReceipt,
  TokenParams,
  UploadIntent,
  UploadIntentBody,
  UploadParams,
  UploadReceipt,
  UploadResumption,
} from '@uplink/contracts';
import type { HttpApp } from '@uplink/kit';
import type { CustomerActors } from '../customer-actor.ts';
import type { PublicRateLimits } from '../rate-limits.ts';
import type { UploadFlow } from '../upload-flow.ts';

const errors = {
  400: ErrorEnvelope,
  403: ErrorEnvelope,
  404: ErrorEnvelope,
  409: ErrorEnvelope,
  410: ErrorEnvelope,
  413: ErrorEnvelope,
  415: ErrorEnvelope,
  422: ErrorEnvelope,
  429: ErrorEnvelope,
  503: ErrorEnvelope,
};

/** The JSON API the upload page calls. The link token in the path is the only credential. */
export function uploadApiRoutes(
  app: HttpApp,
  deps: { flow: UploadFlow; rateLimits: PublicRateLimits; customers: CustomerActors },
): void {
  const { flow, rateLimits, customers } = deps;
  // Every route here takes a link token: each counts against its client's budget and its link's.
  const limited = { onRequest: rateLimits.perIp, preHandler: rateLimits.perLink };

  app.post(
    '/u/:token/uploads',
    {
      ...limited,
      schema: {
        summary: 'Ask to upload one file: returns a short-lived SAS URL for one new blob',
        params: TokenParams,
        body: UploadIntentBody,
        response: { 201: UploadIntent, ...errors },
      },
    },
    async (request, reply) => {
      const intent = await flow.intent(request.params.token, request.body, customers.actorOf(request));
      return reply.code(201).header('cache-control', 'no-store').send(intent);
    },
  );

  app.get(
    '/u/:token/uploads/:uploadId',
    {
      ...limited,
      schema: {
        summary:
          'Where an upload of this link stands: the blocks storage holds for it, and a new SAS when its own runs out soon',
        params: UploadParams,
        response: { 200: UploadResumption, ...errors },
      },
    },
    async (request, reply) => {
      const resumption = await flow.resumption(request.params.token, request.params.uploadId);
      return reply.header('cache-control', 'no-store').send(resumption);
    },
  );

  app.post(
    '/u/:token/uploads/:uploadId/complete',
    {
      ...limited,
      schema: {
        summary: 'Verify the uploaded blob and deliver it to the ticket: a submission of this one file',
        params: UploadParams,
        response: { 200: UploadReceipt, ...errors },
      },
    },
    async (request, reply) => {
      const receipt = await flow.complete(
        request.params.token,
        request.params.uploadId,
        customers.actorOf(request),
      );
      return reply.header('cache-control', 'no-store').send(receipt);
    },
  );

  app.post(
    '/u/:token/submission',
    {
      ...limited,
      schema: {
        summary:
          "Send the link's files together, with a message for the agent: each is verified, and all are delivered to the ticket or none is",
        description:
          'All or nothing: a file that fails a check is deleted and refuses the whole submission with 422 `upload_rejected`, naming it (`uploadId`, and its name in the message when several were sent); the link stays pending and the other files can be sent again without uploading them again. Repeating a submission that was received answers the same receipt.',
        params: TokenParams,
        body: SubmissionBody,
        response: { 200: SubmissionReceipt, ...errors },
      },
    },
    async (request, reply) => {
      const receipt = await flow.submit(request.params.token, request.body, customers.actorOf(request));
      return reply.header('cache-control', 'no-store').send(receipt);
    },
  );
}

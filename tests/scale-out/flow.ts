// One link's whole customer flow through the load balancers: the agent's API creates it, the
// customer asks for an intent, PUTs the bytes to blob storage with the SAS, and completes.
import { createHash } from 'node:crypto';
import { pdfBytes, uploadWithIntent } from '@uplink/testing';
import type { UploadIntent } from '../../packages/contracts/src/index.ts';
import type { Balancer, RequestRecord } from './balancer.ts';

export type Sent = {
  ticketId: number;
  linkId: string;
  /** The link-service instance that answered the creation. */
  createdBy: string;
  size: number;
  sha256: string;
};

/** A valid PDF of 1 to ~60 KB with its own bytes (so its own SHA-256) per link. */
export function fileFor(i: number): Uint8Array {
  const bytes = pdfBytes(1_000 + ((i * 7_919) % 60_000));
  bytes.set(new TextEncoder().encode(` scale-out file ${i} `), 64);
  return bytes;
}

/**
 * How long a customer takes from the agent's reply to sending the file. A person needs seconds;
 * the test keeps one. It matters on FerretDB v1 (README, "FerretDB caveats"): the publisher's
 * removal of `link.created` from the link's outbox, milliseconds after creation, is a whole-
 * document rewrite there that would erase a completion landing at the same moment. MongoDB
 * applies both updates atomically, whatever the timing.
 */
export const CUSTOMER_PAUSE_MS = 1_000;

export async function sendFile(
  lb: { links: Balancer; gateway: Balancer },
  apiKey: string,
  ticketId: number,
  i: number,
  records: RequestRecord[],
): Promise<Sent> {
  const creation = await lb.links.request('create link', 'POST', '/v1/links', {
    body: { ticket: { provider: 'freshdesk', id: String(ticketId) }, validityHours: 1 },
    headers: { authorization: `Bearer ${apiKey}` },
  });
  const created = expectStatus(creation, 201, 'create link') as { id: string; url: string };
  const token = created.url.slice(created.url.lastIndexOf('/') + 1);
  await new Promise((resolve) => setTimeout(resolve, CUSTOMER_PAUSE_MS));
  const bytes = fileFor(i);
  const intent = expectStatus(
    await lb.gateway.request('intent', 'POST', `/u/${token}/uploads`, {
      body: {
        fileName: `statement-${i}.pdf`,
        contentType: 'application/pdf',
        size: bytes.length,
        kind: 'file',
      },
    }),
    201,
    'intent',
  ) as UploadIntent;
  const put: RequestRecord = {
    service: 'azurite',
    op: 'put blob',
    instance: 'azurite',
    startedAt: Date.now(),
    endedAt: 0,
  };
  records.push(put);
  try {
    await uploadWithIntent(intent, bytes);
    put.status = 201;
  } catch (err) {
    put.error = (err as Error).message;
    throw err;
  } finally {
    put.endedAt = Date.now();
  }
  const receipt = expectStatus(
    await lb.gateway.request('complete', 'POST', `/u/${token}/uploads/${intent.uploadId}/complete`),
    200,
    'complete',
  ) as { status: string };
  if (receipt.status !== 'received') throw new Error(`complete answered ${JSON.stringify(receipt)}`);
  return {
    ticketId,
    linkId: created.id,
    createdBy: creation.instance,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

function expectStatus(answer: { status: number; body: unknown }, status: number, what: string): unknown {
  if (answer.status !== status) {
    throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  }
  return answer.body;
}

import type { Actor, DeliveryTarget, TicketRef, UploadedFile } from '@uplink/contracts';
import { randomId } from '@uplink/kit';
import type { LinkDocument, NewLink } from '@uplink/links';
import type { Store } from '../../src/store.ts';

/** The suite's clock: tests pass explicit times, so expiry boundaries are exact. */
export const T0 = new Date('2031-03-04T05:06:07.089Z');

export function at(offsetMs: number): Date {
  return new Date(T0.getTime() + offsetMs);
}

export const SECOND = 1000;
export const HOUR = 60 * 60 * SECOND;

/** Who the suite's links are created and revoked by. */
export const agentActor: Actor = { kind: 'agent', id: 'agent-7', name: 'Ada Agent', source: 'freshdesk' };
export const keyActor: Actor = { kind: 'api_key', keyPrefix: 'upk_AbCdEfGh', label: 'helpdesk app' };

/** The store of the test running now (each test gets a fresh one). */
export type CurrentStore = () => Store;

export const newTenantId = () => randomId('ten');

export function ticket(id = randomId('tk', 8)): TicketRef {
  return { provider: 'freshdesk', id };
}

export function newLink(tenantId: string, overrides: Partial<NewLink> = {}): NewLink {
  return { tenantId, ticket: ticket(), validityHours: 1, createdBy: agentActor, now: T0, ...overrides };
}

export function uploadedFile(uploadId = randomId('upl')): UploadedFile {
  return {
    uploadId,
    kind: 'file',
    category: 'image',
    fileName: 'photo.jpg',
    contentType: 'image/jpeg',
    size: 1234,
    container: 'uploads',
    blobName: `ten/${uploadId}/photo.jpg`,
    etag: '"0x8D"',
  };
}

export const target: DeliveryTarget = {
  destination: 'freshdesk',
  noteId: 'note-1',
  url: 'https://example.freshdesk.com/a/tickets/1',
  mode: 'attachment',
};

/** A document as reads return it: without its outbox. */
export function withoutOutbox({ outbox: _outbox, ...link }: LinkDocument): LinkDocument {
  return link;
}

/** A created link moved to `received` (at T0) with a fresh file. */
export async function receivedLink(store: Store, tenantId = newTenantId()): Promise<LinkDocument> {
  const { link } = await store.links.create(newLink(tenantId));
  const received = await store.links.markReceived(link, { files: [uploadedFile()] }, T0);
  if (!received) throw new Error('fixture: markReceived refused a fresh link');
  return received;
}

export const subjects = (link: LinkDocument | null) => link?.outbox?.map((entry) => entry.subject);

// A received file that is no longer in storage as it was verified (deleted, or overwritten) is
// never reported delivered: whatever the destination, the link ends delivery_failed with the
// missing-file reason and the destination is not called. The webhook and Flex destinations only
// pass a link to the file, so without the relay's own check they would "deliver" a dead link.
import { completedFiles, type TicketRef } from '@uplink/contracts';
import { startWorkers, stopWorkers } from '@uplink/kit';
import type { FreshdeskDouble, TwilioDouble } from '@uplink/saas-doubles';
import { eventually, pdfBytes } from '@uplink/testing';
import {
  type NoteRelayHarness,
  noteRelayHarness,
  startDestinationDoubles,
  type WebhookReceiver,
} from '@uplink/testing/note-relay';
import { beforeAll, describe, expect, it } from 'vitest';

let h: NoteRelayHarness;
let freshdesk: FreshdeskDouble;
let twilio: TwilioDouble;
let webhook: WebhookReceiver;

type Tampering = 'deleted' | 'overwritten';
type Case = { destination: 'freshdesk' | 'twilio-flex' | 'webhook'; tampering: Tampering; linkId?: string };

/** Why each delivery fails: it names the file (the harness uploads `label.pdf`). */
const MISSING_REASON =
  'The file label.pdf is missing from storage (deleted, or changed since it was verified), so it was not delivered.';

const cases: Case[] = (['freshdesk', 'twilio-flex', 'webhook'] as const).flatMap((destination) =>
  (['deleted', 'overwritten'] as const).map((tampering) => ({ destination, tampering })),
);

beforeAll(async () => {
  h = await noteRelayHarness({ attemptMs: 8_000 });
  ({ freshdesk, twilio, webhook } = await startDestinationDoubles(h));

  // Each file is received and verified while the relay is stopped, then changed behind its back.
  await stopWorkers(h.service);
  for (const [index, item] of cases.entries()) {
    let ticket: TicketRef;
    if (item.destination === 'freshdesk') {
      freshdesk.addTicket({ id: 5100 + index });
      ticket = { provider: 'freshdesk', id: String(5100 + index) };
    } else if (item.destination === 'twilio-flex') {
      ticket = { provider: 'twilio-flex', id: twilio.createTask() };
    } else {
      ticket = { provider: 'webhook', id: `case-${index}` };
    }
    const { linkId } = await h.upload(ticket, pdfBytes(200 + index));
    item.linkId = linkId;
    const completed = await eventually('upload.completed', async () =>
      (await h.gateway.completedEvents()).find((event) => event.linkId === linkId),
    );
    const { blobName } = completedFiles(completed)[0];
    if (item.tampering === 'deleted') {
      await h.gateway.storage.delete(blobName);
    } else {
      const other = pdfBytes(900 + index);
      await h.gateway.container.getBlockBlobClient(blobName).upload(other, other.length);
    }
  }
  await startWorkers(h.service);
}, 120_000);

describe('a received file missing from storage at delivery', () => {
  it.each(cases)(
    '$destination, file $tampering: delivery_failed with the missing-file reason',
    async (item) => {
      const link = await h.settled(item.linkId ?? '');
      expect(link.status).toBe('delivery_failed');
      expect(link.delivery?.reason).toBe(MISSING_REASON);
      const failed = await eventually('note.failed', async () =>
        (await h.failed()).find((event) => event.linkId === item.linkId),
      );
      expect(failed.data.reason).toBe(MISSING_REASON);
    },
  );

  it('never calls a destination', async () => {
    for (const item of cases) expect((await h.settled(item.linkId ?? '')).status).not.toBe('received');
    expect(freshdesk.requests).toEqual([]);
    expect(twilio.requests).toEqual([]);
    expect(webhook.received).toEqual([]);
  });
});

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NoteFailedEvent, NotePostedEvent, TicketRef, UploadIntent } from '@uplink/contracts';
import { EgressClient, type Resolve } from '@uplink/egress';
import type { EventBus } from '@uplink/event-bus';
import { SecretBox, systemClock } from '@uplink/kit';
import type { LinkDocument } from '@uplink/links';
import { buildNoteRelay } from '@uplink/note-relay';
import {
  type FreshdeskDouble,
  type FreshdeskDoubleOptions,
  startFreshdeskDouble,
  startTwilioDouble,
  type TwilioDouble,
} from '@uplink/saas-doubles';
import type { LinkStore, Store } from '@uplink/store';
import { DestinationStore, type Destinations } from '@uplink/tenants';
import { inject } from 'vitest';
import { closeWhenDone } from './auto-close.ts';
import { uploadWithIntent } from './blob-upload.ts';
import { startTestInfra, streamEvents, type TestInfra } from './infra.ts';
import { startService } from './service-under-test.ts';
import { type UploadGatewayHarness, uploadGatewayHarness } from './upload-gateway.ts';

type NoteRelayService = Awaited<ReturnType<typeof buildNoteRelay>>;

export const SECRET_KEYS = SecretBox.generateSpec('test');

export type NoteRelayHarness = {
  infra: TestInfra;
  store: Store;
  bus: EventBus;
  gateway: UploadGatewayHarness;
  links: LinkStore;
  relay: NoteRelayService['relay'];
  service: NoteRelayService;
  /** An egress client as the relay's (loopback as configured), for destinations built by hand. */
  egress: EgressClient;
  setDestinations(update: Parameters<DestinationStore['update']>[1]): Promise<void>;
  /** A link for `ticket`, a file sent through the gateway's API, completed: the relay's input. */
  upload(
    ticket: TicketRef,
    bytes: Uint8Array,
    file?: { name?: string; contentType?: string },
  ): Promise<{ linkId: string }>;
  /**
   * A link for `ticket`, several files sent through the gateway's API (an intent and an upload
   * each) and submitted together with the customer's `message`: the relay's input.
   */
  submit(
    ticket: TicketRef,
    files: readonly SubmittedFile[],
    message?: string,
  ): Promise<{ linkId: string; uploadIds: string[] }>;
  link(linkId: string): Promise<LinkDocument>;
  /** Waits until the link leaves `received`. */
  settled(linkId: string, timeoutMs?: number): Promise<LinkDocument>;
  posted(): Promise<NotePostedEvent[]>;
  failed(): Promise<NoteFailedEvent[]>;
};

/** One file of a submission the harness sends. */
export type SubmittedFile = { bytes: Uint8Array; name: string; contentType: string };

/**
 * The gateway and note-relay on one set of test adapters (UPLINK_TEST_ADAPTERS) and Azurite: a
 * file goes in through the gateway's API and comes out at a destination double. Closed when the
 * test or file that started it is done.
 */
export async function noteRelayHarness(
  options: {
    attemptMs?: number;
    maxAttempts?: number;
    /**
     * EGRESS_ALLOW_LOOPBACK, on by default here: the SaaS doubles and webhook receivers listen on
     * 127.0.0.1, which production never calls. The SSRF tests turn it off.
     */
    allowLoopback?: boolean;
    /** Names the relay resolves as told (no DNS server can be changed here). */
    resolve?: Resolve;
    /** DESTINATION_EXTRA_HOSTS (default: 127.0.0.1, where the doubles listen). */
    extraHosts?: string[];
  } = {},
): Promise<NoteRelayHarness> {
  const allowLoopback = options.allowLoopback ?? true;
  // The doubles' host: Freshdesk and Twilio Flex destinations may point only at their real hosts
  // otherwise (DESTINATION_EXTRA_HOSTS).
  const extraHosts = options.extraHosts ?? ['127.0.0.1'];
  const infra = await startTestInfra();
  const store = await infra.store();
  const gateway = await uploadGatewayHarness({ infra, blockBytes: 4 * 1024 * 1024 });
  const egress = new EgressClient({ allowLoopback });
  closeWhenDone(() => egress.close());
  const bus = await infra.connectBus('note-relay');
  const azurite = inject('azurite');
  const built = await buildNoteRelay({
    config: {
      UPLINK_SECRET_KEYS: SECRET_KEYS,
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      AZURE_STORAGE_USE_IDENTITY: false,
      AZURE_STORAGE_CONTAINER: gateway.container.containerName,
      DELIVERY_ATTEMPT_MS: options.attemptMs ?? 15_000,
      DELIVERY_MAX_ATTEMPTS: options.maxAttempts ?? 10,
      DELIVERY_CONCURRENCY: 8,
      FILE_LINK_TTL_HOURS: 168,
      // Viewer links point at the gateway under test, so tests can open them.
      PUBLIC_FILE_BASE_URL: `${gateway.baseUrl}/f/`,
      EGRESS_ALLOW_LOOPBACK: allowLoopback,
      DESTINATION_EXTRA_HOSTS: extraHosts.join(','),
    },
    logger: infra.logger,
    store,
    bus,
    clock: systemClock,
    storage: gateway.storage,
    outbox: { sweepIntervalMs: 200, staleAfterMs: 300 },
    backoffMs: [200, 400, 800],
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  const service = await startService(built);
  const { links } = store;
  // Settings are saved as link-service saves them; its rules allow loopback for the doubles.
  const destinations = new DestinationStore(store.tenants, SecretBox.parse(SECRET_KEYS), {
    allowLoopback: true,
    extraHosts,
  });

  const harness: NoteRelayHarness = {
    infra,
    store,
    bus,
    gateway,
    links,
    relay: service.relay,
    service,
    egress,
    async setDestinations(update) {
      await destinations.update(gateway.tenantId, update, new Date());
    },
    async upload(ticket, bytes, file = {}) {
      const { linkId, token } = await gateway.createLink({
        ticket,
        contextMessage: 'A photo of the label, please',
      });
      const api = `${gateway.baseUrl}/u/${token}/uploads`;
      const uploadId = await sendFile(api, {
        bytes,
        name: file.name ?? 'label.pdf',
        contentType: file.contentType ?? 'application/pdf',
      });
      const complete = await fetch(`${api}/${uploadId}/complete`, { method: 'POST' });
      if (complete.status !== 200) throw new Error(`complete: ${complete.status} ${await complete.text()}`);
      return { linkId };
    },
    async submit(ticket, files, message) {
      const { linkId, token } = await gateway.createLink({
        ticket,
        contextMessage: 'The label and the invoice, please',
      });
      const uploadIds: string[] = [];
      for (const file of files) uploadIds.push(await sendFile(`${gateway.baseUrl}/u/${token}/uploads`, file));
      const submitted = await fetch(`${gateway.baseUrl}/u/${token}/submission`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uploadIds, ...(message === undefined ? {} : { message }) }),
      });
      if (submitted.status !== 200)
        throw new Error(`submission: ${submitted.status} ${await submitted.text()}`);
      return { linkId, uploadIds };
    },
    async link(linkId) {
      const link = await links.getById(linkId);
      if (!link) throw new Error(`no link ${linkId}`);
      return link;
    },
    async settled(linkId, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const link = await harness.link(linkId);
        if (link.status !== 'received') return link;
        if (Date.now() > deadline)
          throw new Error(
            `link ${linkId} still received after ${timeoutMs} ms: ${JSON.stringify(link.delivery)}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    posted: () => streamEvents<NotePostedEvent>(bus, 'note.posted'),
    failed: () => streamEvents<NoteFailedEvent>(bus, 'note.failed'),
  };
  return harness;
}

/** An intent for the file at the link's upload API `api`, and the file put to storage with it. */
async function sendFile(api: string, file: SubmittedFile): Promise<string> {
  const intentResponse = await fetch(api, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      fileName: file.name,
      contentType: file.contentType,
      size: file.bytes.length,
      kind: 'file',
    }),
  });
  if (intentResponse.status !== 201)
    throw new Error(`intent: ${intentResponse.status} ${await intentResponse.text()}`);
  const intent = (await intentResponse.json()) as UploadIntent;
  await uploadWithIntent(intent, file.bytes);
  return intent.uploadId;
}

/** A webhook destination's receiver on 127.0.0.1: it answers 204 and keeps what it was sent. */
export type WebhookReceiver = {
  /** The receiver's address, for a webhook destination. */
  url: string;
  /** The secret its destination is saved with, to verify signatures. */
  secret: string;
  received: { headers: IncomingHttpHeaders; body: string }[];
};

/** Starts a webhook receiver, closed when the test or file that started it is done. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: WebhookReceiver['received'] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeWhenDone(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/uplink`,
    secret: 'whsec-test-0123456789abcdef',
    received,
  };
}

/** The three destinations' doubles, each closed when the test or file that started it is done. */
export type DestinationDoubles = {
  freshdesk: FreshdeskDouble;
  twilio: TwilioDouble;
  webhook: WebhookReceiver;
};

/**
 * Starts a Freshdesk double, a Twilio double and a webhook receiver, and saves all three
 * destinations of the harness's tenant pointing at them.
 */
export async function startDestinationDoubles(
  h: NoteRelayHarness,
  options: { freshdesk?: FreshdeskDoubleOptions } = {},
): Promise<DestinationDoubles> {
  const [freshdesk, twilio, webhook] = await Promise.all([
    startFreshdeskDouble(options.freshdesk),
    startTwilioDouble(),
    startWebhookReceiver(),
  ]);
  closeWhenDone(() => freshdesk.stop());
  closeWhenDone(() => twilio.stop());
  await h.setDestinations({
    freshdesk: { baseUrl: freshdesk.url, apiKey: freshdesk.apiKey },
    twilioFlex: {
      accountSid: twilio.accountSid,
      workspaceSid: twilio.workspaceSid,
      authToken: twilio.authToken,
      baseUrl: twilio.url,
    },
    webhook: { url: webhook.url, secret: webhook.secret },
  });
  return { freshdesk, twilio, webhook };
}

export type { Destinations };

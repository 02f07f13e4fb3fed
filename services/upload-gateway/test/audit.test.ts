// The customer's side in the audit log, on the harness's adapters and a real clamd: a file
// accepted, refused or blocked at completion leaves exactly one entry naming the customer by a
// keyed hash of their address (never the address) and their user agent; a file opened through a
// viewer link leaves one naming that link.
import { createHmac } from 'node:crypto';
import type { UploadIntent } from '@uplink/contracts';
import { type ClamdServer, EICAR_TEST_FILE, startClamd, TEST_SIGNATURES } from '@uplink/dev-servers';
import { hashSecret, SecretBox } from '@uplink/kit';
import { pdfBytes, uploadWithIntent } from '@uplink/testing';
import {
  GATEWAY_SECRET_KEYS,
  type UploadGatewayHarness,
  uploadGatewayHarness,
} from '@uplink/testing/upload-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let clamd: ClamdServer;
let gateway: UploadGatewayHarness;
beforeAll(async () => {
  clamd = await startClamd();
  gateway = await uploadGatewayHarness({ clamavUrl: clamd.url });
}, 60_000);
afterAll(() => clamd?.stop());

/** The customer as the log should name them: this test's address, keyed with the deployment's key. */
const customer = {
  kind: 'customer',
  ipHash: createHmac(
    'sha256',
    SecretBox.parse(GATEWAY_SECRET_KEYS).deriveKey('uplink audit: customer address'),
  )
    .update('127.0.0.1')
    .digest('hex'),
  userAgent: 'node',
};

/** Intent, upload through the SAS and completion, as the page does; the completion's status. */
async function send(file: {
  name: string;
  type: string;
  bytes: Uint8Array;
  /** What the intent announces, when not the bytes' length. */
  declaredSize?: number;
}): Promise<{ linkId: string; status: number; intent: UploadIntent }> {
  const { linkId, token } = await gateway.createLink();
  const response = await gateway.post(`/u/${token}/uploads`, {
    fileName: file.name,
    contentType: file.type,
    size: file.declaredSize ?? file.bytes.length,
    kind: 'file',
  });
  expect(response.status).toBe(201);
  const intent = (await response.json()) as UploadIntent;
  await uploadWithIntent(intent, file.bytes);
  const completion = await gateway.post(`/u/${token}/uploads/${intent.uploadId}/complete`);
  return { linkId, status: completion.status, intent };
}

const entriesOf = (linkId: string) => gateway.store.audit.list(gateway.tenantId, { linkId, limit: 10 });

describe("the customer's actions in the audit log", () => {
  it('a file accepted: one entry, the customer by keyed address hash and user agent', async () => {
    const bytes = pdfBytes(2048);
    const { linkId, status, intent } = await send({ name: 'statement.pdf', type: 'application/pdf', bytes });
    expect(status).toBe(200);
    const entries = await entriesOf(linkId);
    expect(entries).toMatchObject([
      {
        action: 'upload.accepted',
        actor: customer,
        linkId,
        details: {
          uploadId: intent.uploadId,
          fileName: 'statement.pdf',
          contentType: 'application/pdf',
          size: bytes.length,
        },
      },
    ]);
    expect(JSON.stringify(entries)).not.toContain('127.0.0.1');
  });

  it('a file refused by a check: one entry with the reason', async () => {
    // More bytes stored than the intent announced.
    const bytes = pdfBytes(2048);
    const { linkId, status, intent } = await send({
      name: 'invoice.pdf',
      type: 'application/pdf',
      bytes,
      declaredSize: bytes.length - 1,
    });
    expect(status).toBe(422);
    expect(await entriesOf(linkId)).toMatchObject([
      {
        action: 'upload.refused',
        actor: customer,
        details: {
          uploadId: intent.uploadId,
          fileName: 'invoice.pdf',
          reason: `The stored file has ${bytes.length} bytes but ${bytes.length - 1} were announced; send it again.`,
        },
      },
    ]);
  });

  it('a file the policy refuses before it is sent: one entry, at the intent', async () => {
    const { linkId, token } = await gateway.createLink();
    const response = await gateway.post(`/u/${token}/uploads`, {
      fileName: 'setup.exe',
      contentType: 'application/x-msdownload',
      size: 1000,
      kind: 'file',
    });
    expect(response.status).toBe(415);
    expect(await entriesOf(linkId)).toMatchObject([
      {
        action: 'upload.refused',
        actor: customer,
        details: {
          stage: 'intent',
          fileName: 'setup.exe',
          reason: 'Files of type application/x-msdownload are not accepted here.',
        },
      },
    ]);
  });

  it('a file the scanner blocked: one entry with the signature, and no refusal besides', async () => {
    const eicar = new TextEncoder().encode(EICAR_TEST_FILE);
    const { linkId, status, intent } = await send({ name: 'eicar.txt', type: 'text/plain', bytes: eicar });
    expect(status).toBe(422);
    expect(await entriesOf(linkId)).toMatchObject([
      {
        action: 'upload.blocked',
        actor: customer,
        details: { uploadId: intent.uploadId, fileName: 'eicar.txt', signature: TEST_SIGNATURES.eicar },
      },
    ]);
  });

  it('a file opened through a viewer link: one entry naming the link', async () => {
    const { linkId, status } = await send({
      name: 'photo-scan.pdf',
      type: 'application/pdf',
      bytes: pdfBytes(1024),
    });
    expect(status).toBe(200);
    const file = (await gateway.links.getById(linkId))?.files?.[0];
    if (!file) throw new Error('the link has no file');
    const { token } = await gateway.store.shares.create({
      tenantId: gateway.tenantId,
      linkId,
      file,
      ttlMs: 60_000,
      now: new Date(),
    });
    expect((await fetch(`${gateway.baseUrl}/f/${token}`)).status).toBe(200);
    const [opened, accepted, ...rest] = await entriesOf(linkId);
    expect(rest).toStrictEqual([]);
    expect(accepted?.action).toBe('upload.accepted');
    expect(opened).toMatchObject({
      action: 'file.downloaded',
      actor: { kind: 'viewer_link', shareId: hashSecret(token).slice(0, 16) },
      details: { fileName: 'photo-scan.pdf' },
    });
    // A revoked viewer link opens nothing and records nothing.
    await gateway.store.shares.revokeForLink(gateway.tenantId, linkId, new Date());
    expect((await fetch(`${gateway.baseUrl}/f/${token}`)).status).toBe(410);
    expect(await entriesOf(linkId)).toHaveLength(2);
  });
});

// Child process: the database work of an upload intent and nothing else. A bare Fastify 5 route
// that looks the link up by its token's hash, reads the tenant's settings, and inserts an
// upload-sized document, on the gateway's own database, with none of the gateway's policy,
// SAS signing, validation, rate limits or logging. It separates what the database costs from
// what the gateway adds. Env: MONGO_URI, MONGO_DB. Reports { port } when listening.
import { createHash, randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { MongoClient } from 'mongodb';
import { childLifecycle } from '../common.ts';
import { type IntentBody, intentUpload } from '../intent-upload.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const client = new MongoClient(env('MONGO_URI'), { appName: 'bench-intent-baseline' });
await client.connect();
const db = client.db(env('MONGO_DB'));
type Doc = Record<string, unknown> & { _id: string };
const links = db.collection<Doc & { tenantId: string; status: string }>('links');
const tenants = db.collection<Doc>('tenants');
const uploads = db.collection<Doc>('baseline_uploads');

const app = Fastify({ logger: false });
app.post<{ Params: { token: string }; Body: IntentBody }>('/u/:token/uploads', async (request, reply) => {
  const tokenHash = createHash('sha256').update(request.params.token).digest('base64url');
  const link = await links.findOne({ tokenHash }, { projection: { outbox: 0 } });
  if (link?.status !== 'pending') return reply.code(404).send({ error: 'not_found' });
  const tenant = await tenants.findOne({ _id: link.tenantId }, { projection: { settings: 1 } });
  if (!tenant) return reply.code(404).send({ error: 'not_found' });
  const now = new Date();
  const uploadId = `upl_${randomBytes(15).toString('hex').slice(0, 20)}`;
  const upload = intentUpload({ uploadId, tenantId: link.tenantId, linkId: link._id }, request.body, now);
  await uploads.insertOne(upload);
  return reply.code(201).send({
    uploadId,
    blobName: upload.blobName,
    expiresAt: upload.sasExpiresAt.toISOString(),
  });
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

childLifecycle({ port }, async () => {
  await app.close();
  await client.close();
});
